// Jittered exponential backoff for deploy-order retries [issue 4 item 4; DESIGN "Retries use
// jittered exponential backoff"]. Pure: the random source is passed in, so it is unit-tested.
// "Equal jitter": half the capped exponential step is fixed, half random, so retries from many
// provisions spread out without ever collapsing to an immediate re-send.

export interface RetrySettings {
  /** First retry after about this long (ms). */
  baseMs: number;
  /** Cap of the exponential step (ms). */
  maxMs: number;
  /** [0, 1) random source; Math.random by default. */
  random: () => number;
}

export function retrySettings(o: Partial<RetrySettings> = {}): RetrySettings {
  const baseMs = o.baseMs ?? 1000;
  const maxMs = o.maxMs ?? 8000;
  if (!Number.isFinite(baseMs) || baseMs <= 0) throw new RangeError('retry.baseMs must be a positive number');
  if (!Number.isFinite(maxMs) || maxMs < baseMs) throw new RangeError('retry.maxMs must be at least retry.baseMs');
  return { baseMs, maxMs, random: o.random ?? Math.random };
}

/** Delay before retry number `attempt` (0 = the first retry): in [step/2, step), step = min(max, base·2^attempt). */
export function backoffDelay(attempt: number, s: Pick<RetrySettings, 'baseMs' | 'maxMs'>, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError('attempt must be a whole number >= 0');
  // 2^attempt overflows to Infinity for huge attempts; min() keeps it at the cap.
  const step = Math.min(s.maxMs, s.baseMs * 2 ** Math.min(attempt, 52));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return step / 2 + r * (step / 2);
}
