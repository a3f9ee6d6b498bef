// The capabilities the portable core needs from its runtime, filled in by each adapter
// (STYLE #2: passed in, never sniffed). Keep it minimal: every member has to be implemented on
// Espruino, Moddable XS and Node.
import { FULL } from './flags.js';
export interface Platform {
  /** Milliseconds since the epoch (fractional allowed); used for trace timestamps and deadlines. */
  now(): number;
  /** Run fn once after ms milliseconds; the returned handle is only ever given back to clearTimer. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancel a timer from setTimer; a handle that already fired or was cleared is ignored. */
  clearTimer(h: unknown): void;
  /** n cryptographically random bytes (request ids must not be guessable by other devices). */
  randomBytes(n: number): Uint8Array;
}

/**
 * The one do-nothing function (ignored results, unset callbacks): one shared closure instead of a
 * copy at every site, which the Espruino bundle would keep in RAM each time.
 */
export const noop = (): undefined => undefined;
/** The value itself: the success handler of a `then(same, onFail)`. Espruino's `catch`, and its
 *  `then` without a success handler, misbehave on an already settled promise (`then(undefined,
 *  f)` is a TypeError before 2v22), so the portable core always passes both handlers. */
export const same = <T>(v: T): T => v;

/** A RangeError where there is one. Espruino has no RangeError (only Error, TypeError,
 *  SyntaxError, ReferenceError, InternalError), so the Espruino build throws a TypeError, and
 *  without the message (scripts/espruino-lean.ts drops the text passed here, as for TypeError). */
export function rangeError(msg: string): Error {
  return FULL ? new RangeError(msg) : new TypeError(msg);
}

/** Lower-case hex of bytes (request ids, traces). */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const v = b[i] as number;
    s += (v < 16 ? '0' : '') + v.toString(16);
  }
  return s;
}

/** Whether o has its own property k (no Map on Espruino: tables are objects keyed by strings). */
export function has(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}
