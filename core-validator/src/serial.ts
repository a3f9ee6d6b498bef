// One-at-a-time execution of the core's state changes. Store calls are async (a networked
// database must be), but the handlers were written, and are tested, as atomic steps: a QoS 1
// redelivery of a `prov` must find the first delivery's reply stored, and an edge `ready` must
// not interleave with a `bye` removing the same provision. Every inbound message, timer and
// network intake runs through one queue, in arrival order. CPU-bound work (signature checks)
// is synchronous anyway, so a single-threaded core loses no throughput on SQLite; on PostgreSQL
// the cost is that round trips of different devices are not overlapped (README "Store").
export class Serial {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly onSettled: () => void = () => {}) {}

  /** Run `task` after everything queued before it. The result settles like the task's. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(task);
    this.tail = result.then(() => undefined, () => undefined).finally(() => {
      this.queued--;
      this.onSettled();
    });
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.queued;
  }

  /** Resolves when everything queued so far has settled. */
  drain(): Promise<void> {
    return this.tail;
  }
}
