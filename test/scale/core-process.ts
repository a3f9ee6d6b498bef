// Core validator processes for the scale-out test: the daemon entry (core-main.ts) bundled once
// with esbuild (npm packages stay external and resolve from the repo's node_modules, so the bundle
// lives under node_modules/.cache), then one child process per core, each with its own config
// file. A process is ready when the daemon prints `ready`; its admin URL comes from its `admin` line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./core-main.ts', import.meta.url));

export interface CoreBundle { entry: string; dir: string; buildMs: number }

export async function bundleCore(): Promise<CoreBundle> {
  const t0 = performance.now();
  mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'node_modules', '.cache', 'simedge-scale-'));
  const entry = join(dir, 'core-main.mjs');
  await build({
    entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: entry, logLevel: 'silent',
    plugins: [{
      name: 'npm-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@simedge/') ? undefined : { path: a.path, external: true }));
      },
    }],
  });
  return { entry, dir, buildMs: performance.now() - t0 };
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
  const t0 = performance.now();
  const proc = spawn(process.execPath, [bundle.entry, path], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => { err += b.toString('utf8'); });
  const admin = await new Promise<string>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${name} not ready within ${guardMs} ms; stderr:\n${err}`)), guardMs);
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const url = /^admin (\S+)$/m.exec(out)?.[1];
      if (url && /^ready$/m.test(out)) {
        clearTimeout(guard);
        resolve(url);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`${name} exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
  const startMs = performance.now() - t0;
  return {
    name, admin, startMs, proc,
    stderr: () => err,
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
