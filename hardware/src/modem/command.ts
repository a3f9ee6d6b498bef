// Command-line parser: "AT" prefix, basic commands (E0, Z, ...), extended commands (+NAME with
// exec / set "=" / read "?" / test "=?" forms) separated by ";" [ITU-T V.250 §5.2-5.4].
import { AtFail } from './result.js';

export type Kind = 'exec' | 'set' | 'read' | 'test';
export interface Arg { value: string; quoted: boolean }
export interface Command {
  /** Upper-case name: "+CFUN", or a basic command letter like "E" or "&F". */
  name: string;
  kind: Kind;
  args: Arg[];
}

/** Splits `s` at `sep` characters that are outside double quotes; AtFail on an unclosed quote. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) throw new AtFail();
  parts.push(s.slice(start));
  return parts;
}

/** Parameters of a set command: numbers or "strings", omitted ones as empty [V.250 §5.4.2]. */
function parseArgs(s: string): Arg[] {
  return splitOutsideQuotes(s, ',').map((raw) => {
    const t = raw.trim();
    if (t.startsWith('"')) {
      if (t.length < 2 || !t.endsWith('"') || t.slice(1, -1).includes('"')) throw new AtFail();
      return { value: t.slice(1, -1), quoted: true };
    }
    // Unquoted: numeric constants (and the bare words some hosts send for strings).
    if (!/^[A-Za-z0-9.+-]*$/.test(t)) throw new AtFail();
    return { value: t, quoted: false };
  });
}

function parseExtended(s: string): Command {
  const m = /^(\+[A-Za-z][A-Za-z0-9]*)\s*(.*)$/s.exec(s);
  if (!m) throw new AtFail();
  const name = (m[1] as string).toUpperCase();
  const rest = (m[2] as string).trim();
  if (rest === '') return { name, kind: 'exec', args: [] };
  if (rest === '?') return { name, kind: 'read', args: [] };
  if (/^=\s*\?$/.test(rest)) return { name, kind: 'test', args: [] };
  if (rest.startsWith('=')) return { name, kind: 'set', args: parseArgs(rest.slice(1)) };
  throw new AtFail();
}

/** Parses one command line; AtFail (→ ERROR) when it is not a well-formed AT command line. */
export function parseLine(line: string): Command[] {
  const t = line.trim();
  if (!/^AT/i.test(t)) throw new AtFail();
  const cmds: Command[] = [];
  for (const part of splitOutsideQuotes(t.slice(2), ';')) {
    let rest = part.trim();
    // Basic commands run together ("E0V1"); an extended command may follow them [V.250 §5.2.1].
    while (rest !== '' && !rest.startsWith('+')) {
      const m = /^(&?[A-Za-z])\s*([0-9]*)\s*/.exec(rest);
      if (!m) throw new AtFail();
      const digits = m[2] as string;
      cmds.push({ name: (m[1] as string).toUpperCase(), kind: 'exec', args: digits === '' ? [] : [{ value: digits, quoted: false }] });
      rest = rest.slice(m[0].length);
    }
    if (rest !== '') cmds.push(parseExtended(rest));
  }
  return cmds;
}
