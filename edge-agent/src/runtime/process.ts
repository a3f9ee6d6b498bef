// The `process` runtime (DESIGN.md "Runtimes", the default): each instance is a child process of
// the agent. For `fn` that is `node fn-host.mjs` started with bare node (no tsx: ~50 ms start-up),
// a V8 heap limit from res.mem, the code sent over the IPC channel and a truthful readiness check
// (GET /healthz) before the instance is handed out. The IPC channel doubles as a lifeline: the
// host exits when it closes, so a crashed agent leaves no orphan processes.
import { fork, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { probeHttp } from './probe.js';
import type { ExitInfo, Instance, RunSpec, Runtime } from './types.js';

const FN_HOST = fileURLToPath(new URL('./fn-host.mjs', import.meta.url));
const STDERR_TAIL = 2048;
/** Node itself does not start with a heap under a few MB; smaller reservations get this floor. */
export const HEAP_FLOOR_MB = 16;

export interface ProcessRuntimeOptions {
  /** Address the instances listen on; default 127.0.0.1. */
  host?: string;
  /** Time bound of one function call (node:vm timeout); default 1000 ms. */
  callTimeoutMs?: number;
  /** Time from spawn to a healthy instance before start fails; default 5000 ms. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on stop; default 2000 ms. */
  graceMs?: number;
}

interface Child {
  proc: ChildProcess;
  /** Resolves once the process is gone and its stderr is drained. */
  exited: Promise<ExitInfo>;
  stopping: boolean;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  onExit?: (inst: Instance, info: ExitInfo) => void;
  private readonly host: string;
  private readonly callTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly graceMs: number;
  /** Every child we spawned and have not seen exit, ready or still starting, by instance id. */
  private readonly children = new Map<string, Child>();
  private seq = 0;

  constructor(opts: ProcessRuntimeOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.callTimeoutMs = opts.callTimeoutMs ?? 1000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 5000;
    this.graceMs = opts.graceMs ?? 2000;
  }

  async start(spec: RunSpec): Promise<Instance> {
    const id = `${spec.pid}/${spec.service}/${++this.seq}`;
    const heapMb = Math.max(HEAP_FLOOR_MB, Math.ceil(spec.res.mem));
    const child = this.spawn(heapMb);
    this.children.set(id, child);
    try {
      const port = await this.listening(child, spec.code);
      const endpoint = `http://${urlHost(this.host)}:${port}/`;
      await Promise.race([probeHttp(`${endpoint}healthz`, this.startTimeoutMs), child.exited.then((i) => Promise.reject(exitError(i)))]);
      const inst: Instance = { id, pid: spec.pid, service: spec.service, endpoint, res: { ...spec.res } };
      if (child.proc.pid !== undefined) inst.osPid = child.proc.pid;
      void child.exited.then((info) => {
        if (child.stopping) return;
        this.children.delete(id);
        this.onExit?.(inst, info);
      });
      return inst;
    } catch (e) {
      await this.kill(child);
      this.children.delete(id);
      if (e instanceof SimedgeError) throw e;
      throw new SimedgeError('DEPLOY_FAILED', e instanceof Error ? e.message : String(e));
    }
  }

  async stop(inst: Instance): Promise<void> {
    const child = this.children.get(inst.id);
    if (!child) return;
    await this.kill(child);
    this.children.delete(inst.id);
  }

  async close(): Promise<void> {
    const all = [...this.children.values()];
    this.children.clear();
    await Promise.all(all.map((c) => this.kill(c)));
  }

  private spawn(heapMb: number): Child {
    const proc = fork(FN_HOST, [this.host, String(this.callTimeoutMs)], {
      // Explicit execArgv and env: never inherit the agent's loaders (tsx) or NODE_OPTIONS, and
      // never hand the agent's environment (paths, tokens) to user code's process.
      execArgv: [`--max-old-space-size=${heapMb}`],
      env: {},
      cwd: tmpdir(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let tail = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (s: string) => {
      tail = (tail + s).slice(-STDERR_TAIL);
    });
    const exited = new Promise<ExitInfo>((resolve) => {
      proc.once('close', (code, signal) => resolve({ code, signal, stderr: tail.trim() }));
      // A spawn failure may never emit 'close'; nothing is running then.
      proc.once('error', (e) => {
        if (proc.pid === undefined) resolve({ code: null, signal: null, stderr: e.message });
      });
    });
    return { proc, exited, stopping: false };
  }

  private listening(child: Child, code: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SimedgeError('DEPLOY_FAILED', `fn not listening within ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
      const onMessage = (m: unknown) => {
        const msg = (typeof m === 'object' && m !== null ? m : {}) as { t?: unknown; port?: unknown };
        if (msg.t !== 'listening' || typeof msg.port !== 'number') return;
        clearTimeout(timer);
        child.proc.off('message', onMessage);
        resolve(msg.port);
      };
      child.proc.on('message', onMessage);
      void child.exited.then((info) => {
        clearTimeout(timer);
        reject(exitError(info));
      });
      // A send to a child that already died fails here and is reported by `exited` instead.
      child.proc.send({ t: 'code', src: code }, () => {});
    });
  }

  private async kill(child: Child): Promise<void> {
    child.stopping = true;
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), this.graceMs);
    await child.exited;
    clearTimeout(timer);
  }
}

function exitError(info: ExitInfo): SimedgeError {
  const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
  return new SimedgeError('DEPLOY_FAILED', `fn exited before ready (${how})${info.stderr ? `: ${info.stderr.slice(-200)}` : ''}`);
}
