// Test support shared by the packages' tests: daemons run as real child processes.
// - spawnReady(): start a process that prints `key value` lines and then `ready` on stdout (the
//   core and edge daemons), and resolve (bounded) once it has; rejects with its stderr if it exits
//   or does not get there in time.
// - bundleNodeEntry(): bundle a TypeScript entry once with esbuild instead of loading it through
//   tsx in every process (~100 ms against ~2 s a start). npm packages stay external and resolve
//   from the repo's node_modules, so the bundle lives under node_modules/.cache.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ReadyChild {
  proc: ChildProcess;
  /** stdout up to and including `ready`, by line. */
  lines: string[];
  /** The value of a `key value` line printed before `ready` ('' when there is none). */
  field(key: string): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process has ended. */
  exit: Promise<number | null>;
  /** Milliseconds from spawn to `ready`. */
  startMs: number;
}

export async function spawnReady(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; guardMs: number; name?: string }): Promise<ReadyChild> {
  const name = opts.name ?? 'process';
  const t0 = performance.now();
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => { err += b.toString('utf8'); });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const lines = await new Promise<string[]>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`${name} not ready within ${opts.guardMs} ms; stderr:\n${err}`)), opts.guardMs);
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (/^ready$/m.test(out)) {
        clearTimeout(guard);
        resolve(out.split('\n'));
      }
    });
    void exit.then((code) => {
      clearTimeout(guard);
      reject(new Error(`${name} exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
  return {
    proc, lines, exit, startMs: performance.now() - t0,
    field: (k) => (lines.find((l) => l.startsWith(`${k} `)) ?? '').slice(k.length + 1),
    stderr: () => err,
  };
}

/** Bundle `entry` to `<fresh dir>/<outName>`; the caller removes `dir`. */
export async function bundleNodeEntry(entry: string, prefix: string, outName: string): Promise<{ file: string; dir: string; buildMs: number }> {
  const t0 = performance.now();
  mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'node_modules', '.cache', prefix));
  const file = join(dir, outName);
  await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: file, logLevel: 'silent',
    plugins: [{
      name: 'npm-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@simedge/') ? undefined : { path: a.path, external: true }));
      },
    }],
  });
  return { file, dir, buildMs: performance.now() - t0 };
}
