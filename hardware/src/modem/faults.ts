// Timings and fault injection for the emulated modem, deterministic from a seed: per-command
// latency (a fixed value or a [min, max] range drawn from the PRNG), registration delay, and the
// faults a host driver must survive - dropped output bytes, extra response delays, spurious
// ERROR replies. Defaults are all zero so tests run at full speed.

export type Latency = number | readonly [number, number];

export interface ModemTimings {
  /** Latency of every command line's response (ms). */
  commandMs?: Latency;
  /** Per command name (upper case, e.g. '+CFUN'), overriding commandMs for lines that start with it. */
  perCommand?: Readonly<Record<string, Latency>>;
  /** From "registration possible" (CFUN=1 with the SIM ready) to the registration (ms). */
  registerMs?: Latency;
}

export interface ModemFaults {
  /** Drop every n-th byte the modem sends (n >= 2). */
  dropByteEvery?: number;
  /** Probability (0-1) that a command line is answered ERROR without being executed. */
  errorReplyRate?: number;
  /** Extra delay before each response, drawn uniformly from [0, delayMs]. */
  delayMs?: number;
  /** PRNG seed (32-bit); the same seed and input give the same faults. Default 1. */
  seed?: number;
}

/** Timings in the range real modules show (CFUN 100-500 ms, registration 1-3 s). */
export const REALISTIC_TIMINGS: ModemTimings = {
  commandMs: [2, 20],
  perCommand: { '+CFUN': [100, 500], '+COPS': [50, 300], '+CGATT': [100, 1000], '+CSIM': [20, 80] },
  registerMs: [1000, 3000],
};

/** mulberry32: small, fast, good enough to pick faults reproducibly (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkLatency(l: Latency | undefined, what: string): void {
  if (l === undefined) return;
  const ok = typeof l === 'number'
    ? Number.isFinite(l) && l >= 0
    : Array.isArray(l) && l.length === 2 && l.every((x) => Number.isFinite(x) && x >= 0) && (l[0] as number) <= (l[1] as number);
  if (!ok) throw new RangeError(`${what} must be ms >= 0 or a [min, max] range`);
}

export class FaultPlan {
  private readonly rand: () => number;
  private sent = 0;

  constructor(private readonly faults: ModemFaults = {}, private readonly timings: ModemTimings = {}) {
    const f = faults;
    if (f.dropByteEvery !== undefined && (!Number.isInteger(f.dropByteEvery) || f.dropByteEvery < 2)) throw new RangeError('faults.dropByteEvery must be an integer >= 2');
    if (f.errorReplyRate !== undefined && !(f.errorReplyRate >= 0 && f.errorReplyRate <= 1)) throw new RangeError('faults.errorReplyRate must be in [0, 1]');
    if (f.delayMs !== undefined && !(Number.isFinite(f.delayMs) && f.delayMs >= 0)) throw new RangeError('faults.delayMs must be >= 0');
    if (f.seed !== undefined && !Number.isInteger(f.seed)) throw new RangeError('faults.seed must be an integer');
    checkLatency(timings.commandMs, 'timings.commandMs');
    checkLatency(timings.registerMs, 'timings.registerMs');
    for (const [k, v] of Object.entries(timings.perCommand ?? {})) checkLatency(v, `timings.perCommand[${k}]`);
    this.rand = mulberry32(f.seed ?? 1);
  }

  private draw(l: Latency | undefined): number {
    if (l === undefined) return 0;
    if (typeof l === 'number') return l;
    const [lo, hi] = l as readonly [number, number];
    return lo === hi ? lo : Math.round(lo + this.rand() * (hi - lo));
  }

  /** How long to wait before answering a line whose first command is `name`. */
  responseDelay(name: string): number {
    const base = this.draw(this.timings.perCommand?.[name] ?? this.timings.commandMs);
    const extra = this.faults.delayMs ? Math.round(this.rand() * this.faults.delayMs) : 0;
    return base + extra;
  }

  registerDelay(): number {
    return this.draw(this.timings.registerMs);
  }

  /** Whether this command line gets a spurious ERROR. */
  injectError(): boolean {
    const r = this.faults.errorReplyRate;
    return r !== undefined && r > 0 && this.rand() < r;
  }

  /** The output as it reaches the host, with every n-th byte (counted over the whole session) dropped. */
  filterOutput(bytes: Uint8Array): Uint8Array {
    const n = this.faults.dropByteEvery;
    if (n === undefined) return bytes;
    const out: number[] = [];
    for (const b of bytes) {
      this.sent++;
      if (this.sent % n !== 0) out.push(b);
    }
    return Uint8Array.from(out);
  }
}
