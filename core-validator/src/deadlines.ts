// One deadline timer per provision with an order in flight (deploy or remove), so no operation
// is ever silently stuck [DESIGN "operation record with a deadline"]. Timers are unref'd: they
// never keep a process alive, and stop() clears them.
export class Deadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly now: () => number,
    private readonly onExpire: (pid: string) => void,
    private readonly onChange: () => void,
  ) {}

  /** (Re)arm the deadline of `pid` at `at` (ms on the injected clock). */
  arm(pid: string, at: number): void {
    this.cancel(pid);
    const t = setTimeout(() => {
      this.timers.delete(pid);
      try {
        this.onExpire(pid);
      } finally {
        this.onChange();
      }
    }, Math.max(0, at - this.now()));
    t.unref();
    this.timers.set(pid, t);
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
