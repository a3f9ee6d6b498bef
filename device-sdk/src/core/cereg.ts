// Parsers for the registration and operator replies of the generic 27.007 driver. Pure functions:
// the URC form and the read form of +CEREG differ only by a leading <n>, so the caller says which
// one it holds (the AT engine knows whether `AT+CEREG?` was in flight).
import { FULL } from './flags.js';
import { allChars, digits, isHexDigit } from '../wire/chars.js';

/** EPS registration state. [TS27.007 §10.1.22] */
export interface Registration {
  /** 0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming. */
  stat: number;
  /** Tracking area code, hex as reported (empty when the modem did not include it). */
  tac: string;
  /** E-UTRAN cell id, hex as reported (empty when not included). */
  ci: string;
  /** Access technology (7 LTE, 9 NB-IoT), when reported (always undefined in the Espruino build). */
  act: number | undefined;
  roaming: boolean;
}

export const STAT_HOME = 1;
export const STAT_DENIED = 3;
export const STAT_ROAMING = 5;

export function isRegistered(r: Registration): boolean {
  return r.stat === STAT_HOME || r.stat === STAT_ROAMING;
}

/** Fields after `+X:`, trimmed and unquoted. */
export function fieldsOf(line: string, prefix: string): string[] | undefined {
  if (line.substring(0, prefix.length) !== prefix) return undefined;
  const parts = line.substring(prefix.length).split(',');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    let f = (parts[i] as string).trim();
    if (f.length >= 2 && f.charAt(0) === '"' && f.charAt(f.length - 1) === '"') f = f.substring(1, f.length - 1);
    out.push(f);
  }
  return out;
}

const int3 = (s: string): boolean => digits(s, 1, 3);
const hex8 = (s: string): boolean => allChars(s, 0, 8, isHexDigit);

/**
 * `+CEREG: <stat>[,"<tac>","<ci>",<AcT>…]` (URC) or `+CEREG: <n>,<stat>[,…]` (read form).
 * Undefined when the line is not a well-formed +CEREG line.
 */
export function parseCereg(line: string, readForm: boolean): Registration | undefined {
  const f = fieldsOf(line, '+CEREG:');
  if (!f) return undefined;
  if (readForm) {
    if (!int3(f[0] as string)) return undefined;
    f.shift();
  }
  const stat = f[0];
  if (stat === undefined || !int3(stat)) return undefined;
  const tac = f[1] === undefined ? '' : f[1];
  const ci = f[2] === undefined ? '' : f[2];
  if (!hex8(tac) || !hex8(ci)) return undefined;
  // Nothing in the Espruino firmware API reads the access technology (FULL: core/flags.ts).
  const act = FULL && f[3] !== undefined && int3(f[3]) ? parseInt(f[3], 10) : undefined;
  const n = parseInt(stat, 10);
  return { stat: n, tac: tac, ci: ci, act: act, roaming: n === STAT_ROAMING };
}

/** `+COPS: <mode>,2,"<MCCMNC>"[,<AcT>]` → "24405"; undefined when no numeric operator is shown. */
export function parseCops(line: string): string | undefined {
  const f = fieldsOf(line, '+COPS:');
  if (!f || f[1] !== '2' || f[2] === undefined) return undefined;
  return digits(f[2], 5, 6) ? f[2] : undefined;
}

/** An ICCID line (`+CCID: …`, `+ICCID: …`, `+QCCID: …` or bare), without the F padding. */
export function parseIccid(line: string): string | undefined {
  const colon = line.indexOf(':');
  let s = (colon >= 0 && line.charAt(0) === '+' ? line.substring(colon + 1) : line).trim();
  if (s.length >= 2 && s.charAt(0) === '"' && s.charAt(s.length - 1) === '"') s = s.substring(1, s.length - 1);
  s = s.replace(/[Ff]+$/, '');
  return digits(s, 10, 22) ? s : undefined;
}

/** EF_ICCID (nibble-swapped BCD, F padding) as read by `AT+CRSM=176,12258,0,0,10`. [TS102.221 §13.2] */
export function iccidFromEf(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 2 !== 0) return undefined;
  let s = '';
  for (let i = 0; i < hex.length; i += 2) s += hex.charAt(i + 1) + hex.charAt(i);
  return parseIccid(s);
}
