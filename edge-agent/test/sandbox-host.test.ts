// The fn host's other ways in (code from a file or an env var, readiness on stdout: how the OCI
// runtime runs it in a container) and Node's permission model as the second wall around it.
// Real child processes of fn-host.mjs, started the way a runtime would.
import { afterEach, describe, expect, it } from 'vitest';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { post } from './helpers.js';

const FN_HOST = fileURLToPath(new URL('../src/runtime/fn-host.mjs', import.meta.url));
/** The second wall: read access to the host file only; no writes, child processes or workers. */
const PERMISSION = ['--experimental-permission', `--allow-fs-read=${FN_HOST}`, '--disable-warning=ExperimentalWarning'];
const CODE = 'function handle(input) { return { twice: input.n * 2 }; }';

const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('close', r));
      p.kill('SIGKILL');
      await gone;
    }
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

interface Started {
  proc: ChildProcess;
  /** The readiness announcement, or the exit with its stderr if the host never got there. */
  ready: Promise<{ port: number; perm: boolean } | { exit: number | null; stderr: string }>;
}

/** Start fn-host without IPC (like a container's PID 1): readiness comes as a JSON line on stdout. */
function startPlain(env: Record<string, string>, execArgv: string[] = []): Started {
  const proc = spawn(process.execPath, [...execArgv, '--max-old-space-size=16', FN_HOST, '127.0.0.1', '500'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const ready = new Promise<{ port: number; perm: boolean } | { exit: number | null; stderr: string }>((resolve) => {
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { port: number; perm: boolean });
    });
    proc.once('close', (code) => resolve({ exit: code, stderr: err }));
  });
  return { proc, ready };
}

/** Start fn-host the way the process runtime does (fork + IPC code message). */
function startIpc(execArgv: string[]): Started {
  const proc = fork(FN_HOST, ['127.0.0.1', '500'], { execArgv: ['--max-old-space-size=16', ...execArgv], env: {}, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  procs.push(proc);
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const ready = new Promise<{ port: number; perm: boolean } | { exit: number | null; stderr: string }>((resolve) => {
    // The host first says `hello` (ready for its code), then `listening`.
    proc.on('message', (m) => {
      if ((m as { t?: unknown }).t === 'listening') resolve(m as { port: number; perm: boolean });
    });
    proc.once('close', (code) => resolve({ exit: code, stderr: err }));
  });
  proc.send({ t: 'code', src: CODE });
  return { proc, ready };
}

async function portOf(s: Started): Promise<number> {
  const r = await s.ready;
  if (!('port' in r)) throw new Error(`host exited ${r.exit}: ${r.stderr}`);
  return r.port;
}

async function codeFile(src: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'simedge-fn-'));
  dirs.push(dir);
  const file = join(dir, 'fn.js');
  await writeFile(file, src);
  return file;
}

describe('fn host: inputs for containers', () => {
  it('reads its code from SIMEDGE_FN_CODE_FILE and announces readiness on stdout', async () => {
    const s = startPlain({ SIMEDGE_FN_CODE_FILE: await codeFile(CODE) });
    const port = await portOf(s);
    expect(await post(`http://127.0.0.1:${port}/`, '{"n": 21}')).toEqual({ status: 200, body: { twice: 42 } });
  });

  it('reads base64 source from SIMEDGE_FN_SRC', async () => {
    const src = 'function handle() { return typeof process; }';
    const s = startPlain({ SIMEDGE_FN_SRC: Buffer.from(src).toString('base64') });
    const port = await portOf(s);
    expect(await post(`http://127.0.0.1:${port}/`, '{}')).toEqual({ status: 200, body: 'undefined' });
  });

  it('without code or channel it exits 1 with the reason', async () => {
    expect(await startPlain({}).ready).toEqual({ exit: 1, stderr: expect.stringMatching(/needs its code: SIMEDGE_FN_CODE_FILE, SIMEDGE_FN_SRC or an IPC channel/) });
    expect(await startPlain({ SIMEDGE_FN_CODE_FILE: '/nonexistent/fn.js' }).ready).toEqual({ exit: 1, stderr: expect.stringMatching(/cannot read SIMEDGE_FN_CODE_FILE/) });
    expect(await startPlain({ SIMEDGE_FN_SRC: 'x', SIMEDGE_FN_PORT: '70000' }).ready).toEqual({ exit: 1, stderr: expect.stringMatching(/bad SIMEDGE_FN_PORT/) });
  });
});

describe('fn host: Node permission model as the second wall (Node 20 --experimental-permission)', () => {
  // Start-up time is measured, not asserted (a loaded CI machine must not fail this): `npm run bench`
  // row "deploy latency, process runtime, cold start" (the runtime's hosts always run walled)
  // against a bare node spawn.
  it('starts and serves under the permission model, as without it', async () => {
    const plain = startIpc([]);
    const plainPort = await portOf(plain);
    const walled = startIpc(PERMISSION);
    const r = await walled.ready;
    expect(r).toMatchObject({ perm: true });
    expect(await plain.ready).toMatchObject({ perm: false });
    expect(await post(`http://127.0.0.1:${await portOf(walled)}/`, '{"n": 2}')).toEqual({ status: 200, body: { twice: 4 } });
    expect(await post(`http://127.0.0.1:${plainPort}/`, '{"n": 3}')).toEqual({ status: 200, body: { twice: 6 } });
  });

  it('the wall holds for the host process itself: a file it was not granted cannot be read', async () => {
    const file = await codeFile(CODE);
    const denied = startPlain({ SIMEDGE_FN_CODE_FILE: file }, PERMISSION);
    expect(await denied.ready).toEqual({ exit: 1, stderr: expect.stringMatching(/cannot read SIMEDGE_FN_CODE_FILE .*(ERR_ACCESS_DENIED|Access to this API has been restricted)/s) });
    const granted = startPlain({ SIMEDGE_FN_CODE_FILE: file }, [...PERMISSION, `--allow-fs-read=${file}`]);
    const port = await portOf(granted);
    expect(await post(`http://127.0.0.1:${port}/`, '{"n": 5}')).toEqual({ status: 200, body: { twice: 10 } });
  });
});
