// One timer per provision (an operation deadline, a retry, a lease), keyed by pid, so no operation
// is ever silently stuck [DESIGN "operation record with a deadline"]. Timers are unref'd: they
// never keep a process alive, and stop() clears them.
// Node fires a timeout longer than 2^31-1 ms at once, so a far-away time (a lease of weeks) is
// reached in hops of at most that long.
const MAX_DELAY = 0x7fffffff;

export class Deadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly now: () => number,
    private readonly onExpire: (pid: string) => void,
    private readonly onChange: () => void = () => {},
  ) {}

  /** (Re)arm the timer of `pid` at `at` (ms on the injected clock). */
  arm(pid: string, at: number): void {
    this.cancel(pid);
    const delay = Math.max(0, at - this.now());
    const hop = delay > MAX_DELAY;
    const t = setTimeout(() => {
      this.timers.delete(pid);
      if (hop) return this.arm(pid, at);
      try {
        this.onExpire(pid);
      } finally {
        this.onChange();
      }
    }, hop ? MAX_DELAY : delay);
    t.unref();
    this.timers.set(pid, t);
  }

  has(pid: string): boolean {
    return this.timers.has(pid);
  }

  clear(pid: string): void {
    if (this.cancel(pid)) this.onChange();
  }

  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.onChange();
  }

  get size(): number {
    return this.timers.size;
  }

  private cancel(pid: string): boolean {
    const t = this.timers.get(pid);
    if (!t) return false;
    clearTimeout(t);
    this.timers.delete(pid);
    return true;
  }
}
