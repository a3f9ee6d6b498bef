// The order journal: which order ids were applied and which events answered them, so a QoS 1
// redelivery (e.g. after our ack was lost) re-publishes the same answers instead of acting twice.
// In memory for now; the SQLite desired-state store replaces it later behind the same methods.
import type { EdgeEvent } from '@simedge/device-sdk/wire';

interface Entry {
  /** Order expiry, seconds since the epoch. */
  exp: number;
  events: EdgeEvent[];
}

export class OrderJournal {
  private readonly entries = new Map<string, Entry>();

  /** Events published so far for `oid`, or undefined when the order is new. */
  get(oid: string): readonly EdgeEvent[] | undefined {
    return this.entries.get(oid)?.events;
  }

  begin(oid: string, exp: number): void {
    if (!this.entries.has(oid)) this.entries.set(oid, { exp, events: [] });
  }

  record(oid: string, ev: EdgeEvent): void {
    this.entries.get(oid)?.events.push(ev);
  }

  /**
   * Forget orders past their expiry: a redelivery of one is refused by the expiry check before
   * the journal is consulted, so the journal stays bounded without reopening replays.
   */
  prune(nowMs: number): void {
    for (const [oid, e] of this.entries) if (nowMs >= e.exp * 1000) this.entries.delete(oid);
  }

  get size(): number {
    return this.entries.size;
  }
}
