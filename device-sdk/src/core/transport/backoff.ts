// Jittered exponential backoff for reconnects (DESIGN.md: retries use jittered exponential
// backoff). "Equal jitter": half the exponential step fixed, half random, so attempts from many
// devices that lost the same cell do not reconnect in lockstep, yet never retry at once.
import type { Platform } from '../platform.js';
import { FULL } from '../flags.js';

export interface BackoffOptions {
  /** First delay in ms (default 1000). */
  baseMs?: number;
  /** Largest delay in ms (default 60000). */
  maxMs?: number;
  /** Reconnect attempts before giving up (default 6). */
  attempts?: number;
}

/** Delay before attempt n (0-based). */
export function backoffDelay(platform: Platform, n: number, o: BackoffOptions | undefined): number {
  // The lean build's one caller, the Provisioner, always passes both (its own defaults): the
  // session has no reconnect loop there (core/transport/session.ts; FULL: core/flags.ts).
  const base = !FULL ? (o as BackoffOptions).baseMs as number : o && o.baseMs !== undefined ? o.baseMs : 1000;
  const max = !FULL ? (o as BackoffOptions).maxMs as number : o && o.maxMs !== undefined ? o.maxMs : 60000;
  const step = Math.min(max, base * Math.pow(2, Math.min(n, 30)));
  const r = platform.randomBytes(2);
  const frac = (((r[0] as number) << 8) | (r[1] as number)) / 65536;
  return Math.floor(step / 2 + (step / 2) * frac);
}
