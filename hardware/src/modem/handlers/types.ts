// What a command handler is, and the argument helpers they share. A handler returns the
// information lines of its response; it throws AtFail to end the command with an error.
import type { Command } from '../command.js';
import type { ModemCore } from '../core.js';
import { AtFail, CME } from '../result.js';

export type Handler = (m: ModemCore, c: Command) => string[];

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
