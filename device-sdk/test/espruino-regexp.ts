// TEST ORACLE, not product code: a TypeScript port of the regular-expression matcher of the
// Espruino interpreter, used by espruino-regexp.test.ts to show that every regex literal left in
// the Espruino bundles behaves on Espruino exactly as in a full JavaScript engine.
//
// Ported from espruino/Espruino, src/jswrap_regexp.c at commit
// c30cca922d8f857dc3606a0f087204b546033ed1 (functions match, matchhere, matchcharacter,
// nomatchfound, matchfound, jswrap_regexp_exec), with the character predicates of src/jsutils.h
// at the same commit (isNumeric: '0'-'9'; isAlpha: a-z, A-Z and '_'; isWhitespace: \t \v \f
// space \n \r) and chtod/hexToByte/charToLowerCase of src/jsutils.c. The structure follows the C
// code one function for one function so the two can be compared side by side, quirks included:
//
// - The engine walks the pattern text directly; there is no compile step and no backtracking
//   beyond what `*` and `+` do for the ONE character or class they follow.
// - `(` and `)` are position markers only: `(` opens the next group, `)` closes the most recently
//   opened one (not its partner), and nothing can quantify a group.
// - `|` is handled only when a match fails: the rest of the pattern is scanned for the next `|`
//   (escapes skipped, but not classes or groups) and matching restarts there from the same start
//   position, keeping the groups opened so far. Reaching a `|` while matching means success.
// - `?`, `{`, `}` are literal characters; `\b` is a backspace (0x08), not a word boundary;
//   `\1`..`\9` throw ("Backreferences not supported"); an unclosed `[` throws.
// - Past the end of the input the "current character" reads as NUL, so `.` and negated classes
//   (`[^x]`, `\D`, `\S`, `\W`) "match" there: `/a.+/` matches "a".
// - `+` first tries the rest of the pattern with zero characters consumed (once the first one
//   matched), so `/a+a/` matches "a".
// - A match is tried at every start position except the end of a non-empty input, so `/$/` never
//   matches "ab".
// - A class range needs low < high (`[a-a]` matches nothing); `[...]` ends at the first `]`.
// - Only the flags `i` and `g` have an effect.
//
// Not modelled: the interpreter's stack and interrupt checks (deep recursion ends a match as
// "no match" on a device), and non-ASCII text (Espruino strings are bytes, possibly UTF-8; this
// port refuses any character above 0x7F in the pattern or the input instead of guessing).

const NUL = 0;
const NO_RANGE = 256;
const MAX_GROUPS = 9;

const code = (s: string): number => s.charCodeAt(0);
const C = {
  dot: code('.'), lbracket: code('['), rbracket: code(']'), caret: code('^'), dollar: code('$'),
  lparen: code('('), rparen: code(')'), pipe: code('|'), star: code('*'), plus: code('+'),
  backslash: code('\\'), dash: code('-'), underscore: code('_'),
  zero: code('0'), one: code('1'), nine: code('9'),
  a: code('a'), f: code('f'), z: code('z'), A: code('A'), Z: code('Z'),
};

/** Thrown where Espruino raises a JavaScript exception from inside the matcher. */
export class EspruinoRegExpError extends Error {}

/** A successful exec(): [whole match, ...groups] plus index and input, like Espruino returns. */
export type EspruinoMatch = string[] & { index: number; input: string };

/** Per-attempt matcher state; matchhere receives it by value in C, so it is cloned on entry. */
interface MatchInfo {
  source: string;
  startIndex: number;
  ignoreCase: boolean;
  rangeMatch: boolean;
  rangeFirstChar: number;
  groups: number;
  groupStart: number[];
  groupEnd: number[];
}

function cloneInfo(i: MatchInfo): MatchInfo {
  return {
    source: i.source, startIndex: i.startIndex, ignoreCase: i.ignoreCase, rangeMatch: i.rangeMatch,
    rangeFirstChar: i.rangeFirstChar, groups: i.groups, groupStart: i.groupStart.slice(), groupEnd: i.groupEnd.slice(),
  };
}

// --- src/jsutils: the character predicates the matcher uses (ASCII only, see the header) ---
const isNumeric = (ch: number): boolean => ch >= C.zero && ch <= C.nine;
const isAlpha = (ch: number): boolean => (ch >= C.a && ch <= C.z) || (ch >= C.A && ch <= C.Z) || ch === C.underscore;
const isWhitespace = (ch: number): boolean => ch === 0x09 || ch === 0x0b || ch === 0x0c || ch === 0x20 || ch === 0x0a || ch === 0x0d;
const toLower = (ch: number): number => (ch >= C.A && ch <= C.Z ? ch + 32 : ch);
/** chtod: a digit's value in base 36, or -1 (so `\xZZ` is accepted and yields a strange byte). */
const digitValue = (ch: number): number => {
  if (ch >= C.zero && ch <= C.nine) return ch - C.zero;
  if (ch >= C.a && ch <= C.z) return 10 + ch - C.a;
  if (ch >= C.A && ch <= C.Z) return 10 + ch - C.A;
  return -1;
};
/** hexToByte, then the (char) cast the matcher applies: -1 becomes 0xFF. */
const hexByte = (hi: number, lo: number): number => {
  const a = digitValue(hi);
  const b = digitValue(lo);
  return (a < 0 || b < 0 ? -1 : (a << 4) | b) & 0xff;
};

function assertAscii(what: string, s: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) throw new Error(`espruino-regexp oracle: non-ASCII ${what} at ${i} is not modelled`);
  }
}

/** The matcher for one pattern over one input: NUL-terminated reads, as in C. */
class Matcher {
  constructor(private readonly re: string, private readonly text: string) {}

  /** regexp[p], NUL past the end (the C string is NUL-terminated). */
  private rc(p: number): number {
    return p < this.re.length ? this.re.charCodeAt(p) : NUL;
  }

  /** jsvStringIteratorGetChar: NUL at or past the end. */
  private tc(t: number): number {
    return t < this.text.length ? this.text.charCodeAt(t) : NUL;
  }

  private hasChar(t: number): boolean {
    return t < this.text.length;
  }

  /** matchfound: the whole match from startIndex to t, then each group opened on this path. */
  private found(t: number, info: MatchInfo): EspruinoMatch {
    const out: string[] = [this.text.substring(info.startIndex, t)];
    for (let g = 0; g < info.groups; g++) {
      const s = info.groupStart[g] as number;
      const e = info.groupEnd[g] as number;
      if (e < s) throw new Error('espruino-regexp oracle: a group ending before its start is not modelled');
      out.push(this.text.substring(s, e));
    }
    const m = out as EspruinoMatch;
    m.index = info.startIndex;
    m.input = this.text;
    return m;
  }

  /** nomatchfound: skip to the next `|` (escapes skipped) and retry from the attempt's start. */
  private noMatch(p: number, info: MatchInfo): EspruinoMatch | null {
    while (this.rc(p) !== NUL && this.rc(p) !== C.pipe) {
      if (this.rc(p) === C.backslash) {
        p++;
        if (this.rc(p) === NUL) return null;
      }
      p++;
    }
    if (this.rc(p) !== C.pipe) return null;
    return this.here(p + 1, info.startIndex, info);
  }

  /** matchcharacter: does the item at p match the character at t; how long is the item. Mutates
   *  info (the caller's frame), as the C code does through its pointer. */
  private one(p: number, t: number, info: MatchInfo): { ok: boolean; len: number } {
    let len = 1;
    let ch = this.tc(t);
    const first = this.rc(p);
    if (first === C.dot) return { ok: true, len: len };
    if (first === C.lbracket) {
      info.rangeMatch = true;
      const inverted = this.rc(p + 1) === C.caret;
      if (inverted) len++;
      let any = false;
      while (this.rc(p + len) !== NUL && this.rc(p + len) !== C.rbracket) {
        if (this.rc(p + len) === C.dot) {
          // a `.` inside a class is a literal dot
          any = any || ch === C.dot;
          len++;
        } else {
          const inner = this.one(p + len, t, info);
          any = any || inner.ok;
          len += inner.len;
        }
      }
      if (this.rc(p + len) === C.rbracket) len++;
      else throw new EspruinoRegExpError('Unfinished character set in RegEx');
      info.rangeMatch = false;
      return { ok: any !== inverted, len: len };
    }
    let lit = first;
    if (first === C.backslash) {
      len = 2;
      lit = this.rc(p + 1);
      const e = String.fromCharCode(lit);
      if (e === 'd') return { ok: isNumeric(ch), len: len };
      if (e === 'D') return { ok: !isNumeric(ch), len: len };
      if (e === 's') return { ok: isWhitespace(ch), len: len };
      if (e === 'S') return { ok: !isWhitespace(ch), len: len };
      if (e === 'w') return { ok: isNumeric(ch) || isAlpha(ch), len: len };
      if (e === 'W') return { ok: !(isNumeric(ch) || isAlpha(ch)), len: len };
      if (e === 'f') lit = 0x0c;
      else if (e === 'b') lit = 0x08;
      else if (e === 'n') lit = 0x0a;
      else if (e === 'r') lit = 0x0d;
      else if (e === 't') lit = 0x09;
      else if (e === 'v') lit = 0x0b;
      else if (e === '0') lit = 0;
      else if (lit >= C.one && lit <= C.nine) throw new EspruinoRegExpError('Backreferences not supported');
      else if (e === 'x' && this.rc(p + 2) !== NUL && this.rc(p + 3) !== NUL) {
        len = 4;
        lit = hexByte(this.rc(p + 2), this.rc(p + 3));
      }
      // anything else: the escaped character itself
    }
    // A range start inside a class: remember the low end, let the next item compare.
    if (info.rangeMatch && this.rc(p + len) === C.dash && this.rc(p + len + 1) !== C.rbracket) {
      info.rangeFirstChar = lit;
      len++;
      const high = this.one(p + len, t, info);
      return { ok: high.ok, len: len + high.len };
    }
    if (info.ignoreCase) {
      ch = toLower(ch);
      lit = toLower(lit);
    }
    if (info.rangeFirstChar !== NO_RANGE) {
      const low = info.ignoreCase ? toLower(info.rangeFirstChar) : info.rangeFirstChar;
      info.rangeFirstChar = NO_RANGE;
      return { ok: ch >= low && ch <= lit && low < lit, len: len };
    }
    return { ok: lit === ch, len: len };
  }

  /** matchhere: match the pattern from p at text position t (up to a `|`). */
  here(p: number, t: number, frame: MatchInfo): EspruinoMatch | null {
    const info = cloneInfo(frame);
    const c = this.rc(p);
    if (c === NUL || c === C.pipe) return this.found(t, info);
    if (c === C.caret) {
      if (t !== 0) return null;
      return this.here(p + 1, t, info);
    }
    if (c === C.dollar) {
      if (!this.hasChar(t)) return this.here(p + 1, t, info);
      return this.noMatch(p + 1, info);
    }
    if (c === C.lparen) {
      // C writes groupStart[groups] before checking the limit: a tenth group overflows there.
      if (info.groups >= MAX_GROUPS) throw new Error('espruino-regexp oracle: more than 9 groups overflow Espruino\'s group arrays');
      info.groupStart[info.groups] = t;
      info.groupEnd[info.groups] = t;
      info.groups++;
      return this.here(p + 1, t, info);
    }
    if (c === C.rparen) {
      if (info.groups > 0) info.groupEnd[info.groups - 1] = t;
      return this.here(p + 1, t, info);
    }
    let r = this.one(p, t, info);
    const op = this.rc(p + r.len);
    if (op === C.star || op === C.plus) {
      if (!r.ok && op === C.plus) return this.noMatch(p + r.len + 1, info);
      const rest = p + r.len + 1;
      // the rest of the pattern right here (zero repetitions, even for `+`), then after each
      // further character the item matched; the last (longest) success wins
      let best = this.here(rest, t, info);
      while (this.hasChar(t) && r.ok) {
        t++;
        r = this.one(p, t, info);
        const m = this.here(rest, t, info);
        if (m) best = m;
      }
      return best;
    }
    if (this.hasChar(t) && r.ok) return this.here(p + r.len, t + 1, info);
    return this.noMatch(p + r.len, info);
  }
}

/** match: try each start position from startIndex; the end of a non-empty input is not tried. */
function matchFrom(re: string, text: string, startIndex: number, ignoreCase: boolean): EspruinoMatch | null {
  const m = new Matcher(re, text);
  const info: MatchInfo = {
    source: text, startIndex: startIndex, ignoreCase: ignoreCase, rangeMatch: false, rangeFirstChar: NO_RANGE,
    groups: 0, groupStart: [], groupEnd: [],
  };
  let r = m.here(0, startIndex, info);
  let t = startIndex + 1;
  while (!r && t < text.length) {
    info.startIndex++;
    r = m.here(0, t, info);
    t++;
  }
  return r;
}

/** A RegExp as Espruino holds it: source, flags and lastIndex. */
export interface EspruinoRegExp {
  source: string;
  flags: string;
  lastIndex: number;
}

export function espruinoRegExp(source: string, flags = ''): EspruinoRegExp {
  assertAscii('pattern', source);
  return { source: source, flags: flags, lastIndex: 0 };
}

/** RegExp.prototype.exec as Espruino runs it (jswrap_regexp_exec), lastIndex included: only `g`
 *  advances it, anything else (or no match) resets it to 0. A lastIndex beyond the input returns
 *  undefined (a C return of 0), not null, and leaves lastIndex alone. */
export function espruinoExec(re: EspruinoRegExp, input: string): EspruinoMatch | null | undefined {
  assertAscii('input', input);
  if (re.lastIndex > input.length) return undefined;
  const m = matchFrom(re.source, input, re.lastIndex, re.flags.indexOf('i') >= 0);
  if (!m) re.lastIndex = 0;
  else re.lastIndex = re.flags.indexOf('g') >= 0 ? m.index + (m[0] as string).length : 0;
  return m;
}

/** RegExp.prototype.test on Espruino: exec() gave a match. */
export function espruinoTest(re: EspruinoRegExp, input: string): boolean {
  const m = espruinoExec(re, input);
  return m !== null && m !== undefined;
}

/** The pattern text Espruino's lexer (jslLexRegex) takes from a regex literal's raw text: it
 *  ends at the first `/` not preceded by a backslash (a `/` inside a class ends it too), or at a
 *  newline; the flags are the run of g, i, m, y, u after it. */
export function espruinoLexRegexLiteral(raw: string): { source: string; flags: string; rest: string } {
  let i = 1;
  let source = '';
  while (i < raw.length && raw[i] !== '/') {
    if (raw[i] === '\\') {
      source += raw[i];
      i++;
    } else if (raw[i] === '\n') {
      break;
    }
    if (i < raw.length) source += raw[i];
    i++;
  }
  i++; // the closing slash
  let flags = '';
  while (i < raw.length && 'gimyu'.indexOf(raw[i] as string) >= 0) flags += raw[i++];
  return { source: source, flags: flags, rest: raw.substring(i) };
}
