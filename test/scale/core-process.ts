// Core validator processes for the scale-out test: the daemon entry (core-main.ts) bundled once
// with esbuild (npm packages stay external and resolve from the repo's node_modules, so the bundle
// lives under node_modules/.cache), then one child process per core, each with its own config
// file. A process is ready when the daemon prints `ready`; its admin URL comes from its `admin` line.
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeEntry, REPO, spawnReady } from '../support/processes.js';

const ENTRY = fileURLToPath(new URL('./core-main.ts', import.meta.url));

export interface CoreBundle { entry: string; dir: string; buildMs: number }

export async function bundleCore(): Promise<CoreBundle> {
  const b = await bundleNodeEntry(ENTRY, 'simedge-scale-', 'core-main.mjs');
  return { entry: b.file, dir: b.dir, buildMs: b.buildMs };
}

export interface CoreProcess {
  readonly name: string;
  readonly admin: string;
  readonly startMs: number;
  readonly proc: ChildProcess;
  /** Everything it wrote to stderr (JSON log lines). */
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Start one core with `config` (written as JSON next to the bundle); resolves once it is ready. */
export async function startCore(bundle: CoreBundle, name: string, config: object, guardMs: number): Promise<CoreProcess> {
  const path = join(bundle.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  const d = await spawnReady(process.execPath, [bundle.entry, path], { cwd: REPO, guardMs, name });
  const { proc, startMs } = d;
  const admin = d.field('admin');
  return {
    name, admin, startMs, proc,
    stderr: d.stderr,
    async kill(signal) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill(signal);
      await exited;
    },
  };
}

export function removeBundle(b: CoreBundle): void {
  rmSync(b.dir, { recursive: true, force: true });
}

/** One counter of a core's Prometheus text, summed over the series whose labels include `labels`. */
export async function metric(core: CoreProcess, token: string, name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${core.admin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${core.name} /metrics: HTTP ${res.status}`);
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
