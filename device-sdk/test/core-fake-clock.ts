// Test helper: a Platform whose clock and timers the test drives (no real time passes), and
// predictable "random" bytes. Used where a test must show what happens at an exact moment: AT
// timeouts, provisioning backoff, the data budget's day window, switch-off deadlines.
import type { Platform } from '../src/core/platform.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class FakeClock implements Platform {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  /** Delays asked of setTimer, in order (backoff tests read them). */
  readonly asked: number[] = [];
  /** Byte returned by randomBytes (0x80 = the middle of the jitter range). */
  randomByte = 0x80;

  constructor(start = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.asked.push(ms);
    this.timers.push({ id, due: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }

  randomBytes(n: number): Uint8Array {
    return new Uint8Array(n).fill(this.randomByte);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Move the clock forward by ms, firing due timers in order of their due time; between timers
   * the promise jobs they started run (so chains that set new timers are followed).
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((x) => x.due <= end).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.due;
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

/** Let every queued promise job (and the I/O callbacks of a setImmediate turn) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
