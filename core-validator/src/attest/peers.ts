// Which network address published which device message: the broker side of network attestation
// (DESIGN.md Trust). The broker hook records (topic, payload digest) -> peer address when it
// authorises a publish on `simedge/v1/d/{imsi}/up`; the core takes the record when the same bytes
// reach it on the same topic. Records are FIFO per (topic, digest), so a message published twice
// is matched twice, in order. Bounded in count and age: a record the core never takes (it was not
// subscribed, or crashed) expires instead of leaking.
import { createHash } from 'node:crypto';

export interface PeerLogOptions {
  /** Records kept at most (default 10 000); the oldest go first. */
  max?: number;
  /** Records older than this are forgotten (default 60 000 ms). */
  ttlMs?: number;
  now?: () => number;
}

interface Entry { key: string; peer: string; at: number }

export class PeerLog {
  private readonly byKey = new Map<string, Entry[]>();
  private readonly order: Entry[] = [];
  private head = 0;
  private live = 0;
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: PeerLogOptions = {}) {
    this.max = opts.max ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    if (!(this.max > 0) || !(this.ttlMs > 0)) throw new RangeError('PeerLog: max and ttlMs must be positive');
  }

  /** The number of records held. */
  get size(): number {
    return this.live;
  }

  record(topic: string, payload: Uint8Array, peer: string): void {
    const e: Entry = { key: keyOf(topic, payload), peer: normaliseAddress(peer), at: this.now() };
    const q = this.byKey.get(e.key);
    if (q) q.push(e);
    else this.byKey.set(e.key, [e]);
    this.order.push(e);
    this.live++;
    this.expire();
  }

  /** The address that published these bytes on this topic (oldest unmatched record), or undefined. */
  take(topic: string, payload: Uint8Array): string | undefined {
    this.expire();
    const key = keyOf(topic, payload);
    const q = this.byKey.get(key);
    const e = q?.shift();
    if (q && q.length === 0) this.byKey.delete(key);
    if (e) {
      e.key = ''; // taken: expire() skips it
      this.live--;
    }
    return e?.peer;
  }

  private expire(): void {
    const limit = this.now() - this.ttlMs;
    while (this.head < this.order.length) {
      const e = this.order[this.head]!;
      if (e.key !== '' && this.live <= this.max && e.at >= limit) break;
      if (e.key !== '') {
        const q = this.byKey.get(e.key);
        q?.shift(); // the oldest entry of its queue is this one (both are in arrival order)
        if (q && q.length === 0) this.byKey.delete(e.key);
        this.live--;
      }
      this.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}

function keyOf(topic: string, payload: Uint8Array): string {
  return `${topic}\n${createHash('sha256').update(payload).digest('base64')}`;
}

/** '::ffff:127.100.0.7' (an IPv4 peer on a dual-stack socket) -> '127.100.0.7'. */
export function normaliseAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
