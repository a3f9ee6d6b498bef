// Retention [README "Retention"]: the records that only serve redeliveries and edge re-sends -
// answered device requests with their stored replies, and the orders of finished provisions -
// are deleted once older than the retention window, so a stream of requests cannot grow the
// database without bound. Provisions and charging records are kept: they are the history an
// operator exports. One sweep at start, then one every SWEEP_EVERY_MS; several cores on one
// database may all sweep (the deletes are idempotent).
import type { Logger } from './log.js';
import type { CoreStore } from './store/types.js';

/** Default retention: a week, far beyond any QoS 1 redelivery or order re-send window. */
export const DEFAULT_RETENTION_SEC = 7 * 24 * 3600;
export const SWEEP_EVERY_MS = 10 * 60_000;

export class Retention {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: { store: CoreStore; now: () => number; retentionMs: number; log: Logger; everyMs?: number }) {}

  /** Sweeps once (awaited: the core starts on a swept database), then every `everyMs`. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.kick(), this.o.everyMs ?? SWEEP_EVERY_MS);
    this.timer.unref();
    await this.kick();
  }

  /** One sweep now (skipped while one runs); resolves when it is done and never rejects: a
   *  failure is logged and the next sweep tries again. */
  kick(): Promise<void> {
    this.running ??= (async () => {
      try {
        const before = this.o.now() - this.o.retentionMs;
        const n = await this.o.store.sweep(before);
        if (n.requests + n.orders > 0) this.o.log('info', 'retention sweep', { ...n, before: new Date(before).toISOString() });
      } catch (e) {
        this.o.log('warn', 'retention sweep failed', { err: e instanceof Error ? e.message : String(e) });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** No further sweeps; waits for one in progress (before the store closes). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
