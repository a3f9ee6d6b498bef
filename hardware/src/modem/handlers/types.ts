// What a command handler is, and the argument helpers they share. A handler returns the
// information lines of its response; it throws AtFail to end the command with an error. Two
// richer answers exist for the vendor dialects: a Promise (the final result waits for real work,
// e.g. AT+SMCONN blocks until the broker answers) and a PromptReply (the modem sends the `> `
// data prompt and reads exactly `bytes` raw bytes before answering).
import type { Command } from '../command.js';
import type { ModemCore } from '../core.js';
import { AtFail, CME } from '../result.js';

export interface PromptReply {
  /** Exactly this many raw bytes follow the prompt (no terminator, no Ctrl-Z). */
  prompt: number;
  /** The bytes have arrived: the lines of the response (or AtFail / a rejected promise). */
  onData: (data: Uint8Array) => string[] | Promise<string[]>;
}

export type Reply = string[] | Promise<string[]> | PromptReply;
export type Handler = (m: ModemCore, c: Command) => Reply;

export function isPrompt(r: Reply): r is PromptReply {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && 'prompt' in r;
}

/** Numeric parameter `i`, one of `allowed`; `dflt` when omitted [V.250 §5.4.2.1]. */
export function intArg<T extends number>(c: Command, i: number, allowed: readonly T[], dflt?: T): T {
  const a = c.args[i];
  if (a === undefined || a.value === '') {
    if (dflt !== undefined) return dflt;
    throw new AtFail(CME.INCORRECT_PARAMETERS);
  }
  if (a.quoted || !/^[0-9]{1,5}$/.test(a.value)) throw new AtFail(CME.INCORRECT_PARAMETERS);
  const n = Number(a.value);
  const hit = allowed.find((x) => x === n);
  if (hit === undefined) throw new AtFail(CME.INCORRECT_PARAMETERS);
  return hit;
}

/** Non-negative integer parameter `i` in [min, max]. */
export function rangeArg(c: Command, i: number, min: number, max: number): number {
  const a = c.args[i];
  if (a === undefined || a.quoted || !/^[0-9]{1,5}$/.test(a.value)) throw new AtFail(CME.INCORRECT_PARAMETERS);
  const n = Number(a.value);
  if (n < min || n > max) throw new AtFail(CME.INCORRECT_PARAMETERS);
  return n;
}

/** String parameter `i` (quoted on the wire); undefined when omitted. */
export function strArg(c: Command, i: number): string | undefined {
  const a = c.args[i];
  if (a === undefined || (!a.quoted && a.value === '')) return undefined;
  if (!a.quoted) throw new AtFail(CME.INCORRECT_PARAMETERS);
  return a.value;
}

/** At most `n` parameters. */
export function maxArgs(c: Command, n: number): void {
  if (c.args.length > n) throw new AtFail(CME.INCORRECT_PARAMETERS);
}

/** Integer parameter `i` in [min, max] that may be negative (result codes, msg ids); `dflt` when omitted. */
export function numArg(c: Command, i: number, min: number, max: number, dflt?: number): number {
  const a = c.args[i];
  if (a === undefined || (a.value === '' && !a.quoted)) {
    if (dflt !== undefined) return dflt;
    throw new AtFail(CME.INCORRECT_PARAMETERS);
  }
  if (a.quoted || !/^-?[0-9]{1,6}$/.test(a.value)) throw new AtFail(CME.INCORRECT_PARAMETERS);
  const n = Number(a.value);
  if (n < min || n > max) throw new AtFail(CME.INCORRECT_PARAMETERS);
  return n;
}

/** A required quoted string parameter. */
export function needStr(c: Command, i: number, maxLen = 256): string {
  const s = strArg(c, i);
  if (s === undefined || s.length > maxLen) throw new AtFail(CME.INCORRECT_PARAMETERS);
  return s;
}

/** Exec/read/test/set forms: anything but `allowed` answers ERROR. */
export function onlyKinds(c: Command, ...allowed: Command['kind'][]): void {
  if (!allowed.includes(c.kind)) throw new AtFail();
}
