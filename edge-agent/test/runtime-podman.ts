// Test helper: a real Podman API service (`podman system service`) on a socket in a fresh temp
// dir, for the OCI runtime and image tests. Podman missing is a FAILURE with a clear message, not
// a skip: CI installs it (apt: podman runc catatonit).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const START_GUARD_MS = 10_000;

export const run = promisify(execFile);

/** Run the podman CLI; the error says how to install it when it is missing. */
export async function podman(args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    return (await run('podman', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('podman is not installed: these tests need it (apt-get install podman runc catatonit), see edge-agent/README');
    const err = e as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface PodmanService {
  socketPath: string;
  docker: Docker;
  /** ms from spawn to the first answered ping. */
  startMs: number;
  stop(): Promise<void>;
}

/** Start `podman system service` on a temp socket; resolves once it answers /_ping. */
export async function startPodmanService(): Promise<PodmanService> {
  await podman(['--version']);
  const dir = await mkdtemp(join(tmpdir(), 'simedge-podman-'));
  const socketPath = join(dir, 'api.sock');
  const t0 = performance.now();
  // cwd: conmon writes a file named `oom` into its working directory when a container is
  // OOM-killed (cgroup v1); keep that out of the repository.
  const proc: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socketPath}`], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // The socket appears when the service listens; poll it against a hard guard (the service has
    // no readiness signal on stdout to wait on).
    const deadline = Date.now() + START_GUARD_MS;
    let gone = false;
    void exited.then(() => (gone = true));
    while (!(await ping(socketPath))) {
      if (gone) throw new Error(`podman system service exited: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`podman system service did not answer within ${START_GUARD_MS} ms: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { socketPath, docker: new Docker({ socketPath }), startMs: performance.now() - t0, stop };
}
