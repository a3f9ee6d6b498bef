// The contract between benchmark modules and the runner (run.ts): every `*.bench.ts` file in this
// folder exports `benches`; each bench returns rows that compare a result with a baseline measured
// in the same run. Targets are stated in `note`, never asserted.
export interface Row {
  name: string;
  /** The measured result, formatted. */
  value: string;
  /** What it is compared with, measured in the same run, formatted. */
  baseline: string;
  /** The comparison, e.g. "17.7x faster" or "76% of the ceiling". */
  ratio: string;
  note: string;
}

export interface Bench {
  name: string;
  run(): Promise<Row[]>;
}

export function timeIt(iterations: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - t0) / iterations;
}

export async function timeAsync(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return (performance.now() - t0) / iterations;
}

export const fmtRate = (msPerOp: number): string => `${Math.round(1000 / msPerOp).toLocaleString('en')}/s`;

/** Percentile of a list of samples (p in 0..100). */
export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] as number;
}
