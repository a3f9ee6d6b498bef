// The order journal: which order ids were applied and which events answered them, so a QoS 1
// redelivery (e.g. after our ack was lost) re-publishes the same answers instead of acting twice.
// Backed by the state store, so replay answers survive an agent restart.
import type { EdgeEvent } from '@simedge/device-sdk/wire';
import type { StateStore } from './store/store.js';

export class OrderJournal {
  constructor(private readonly store: StateStore) {}

  /** Events recorded so far for `oid` (sent or owed), or undefined when the order is new. */
  get(oid: string): readonly EdgeEvent[] | undefined {
    return this.store.orderEvents(oid);
  }

  /**
   * Forget orders past their expiry: a redelivery of one is refused by the expiry check before
   * the journal is consulted, so the journal stays bounded without reopening replays.
   */
  prune(nowMs: number): void {
    this.store.pruneOrders(nowMs);
  }
}
