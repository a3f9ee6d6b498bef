// Restart policy: an instance that ends on its own (crash, OOM, failed liveness probe) is started
// again by the reconciler, since it is still desired - but not before its backoff time, which
// doubles with each failure in a row (base, 2x, 4x ... up to max) and resets once an instance
// stayed up for `resetAfterMs`. The same applies to a failed restart.
export interface BackoffOptions {
  /** First delay, default 500 ms. */
  baseMs?: number;
  /** Largest delay, default 30 s. */
  maxMs?: number;
  /** Uptime after which the failure count resets, default 10 s. */
  resetAfterMs?: number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private readonly state = new Map<string, { n: number; until: number }>();

  constructor(o: BackoffOptions = {}) {
    this.baseMs = o.baseMs ?? 500;
    this.maxMs = o.maxMs ?? 30_000;
    this.resetAfterMs = o.resetAfterMs ?? 10_000;
  }

  /** An instance of `key` ended (or failed to start) at `now` after `uptimeMs`; returns its delay. */
  failed(key: string, now: number, uptimeMs = 0): number {
    const prev = this.state.get(key);
    const n = prev && uptimeMs < this.resetAfterMs ? prev.n + 1 : 1;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (n - 1));
    this.state.set(key, { n, until: now + delay });
    return delay;
  }

  /** Keys that may not be started yet, and until when (Desired.backoff). */
  snapshot(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.state) if (v.until > now) out[k] = v.until;
    return out;
  }

  forget(key: string): void {
    this.state.delete(key);
  }
}
