// The `process` runtime (DESIGN.md "Runtimes", the default): each instance is a child process of
// the agent. For `fn` that is `node fn-host.mjs` started with bare node (no tsx: ~50 ms start-up),
// a V8 heap limit from res.mem, the code sent over the IPC channel and a truthful readiness check
// (GET /healthz) before the instance is handed out. The IPC channel doubles as a lifeline: the
// host exits when it closes, so a crashed agent leaves no orphan processes.
//
// Adoption (types.ts): a child cannot outlive its agent for long - the lifeline above ends it - so
// after an agent crash there is nothing to re-attach to, and adopt() only ever hands back our own
// live children. What list() can still find is a host that has not noticed yet (or one whose
// exit is stuck): the labels travel in argv (`--simedge=<base64 json>`, read from
// /proc/<pid>/cmdline; never the code, which stays on IPC), so a restarted agent finds them by its
// scope and removes them. Without /proc (not Linux) list() returns only our own children and the
// lifeline alone does the cleaning.
//
// Health: besides the readiness probe, every ready instance is probed every healthIntervalMs; after
// healthFailures misses in a row it is killed and reported through onExit with the cause (the
// agent's reconciler restarts it with backoff). CPU: `res.cpu` is accounted, not enforced here -
// see README "Resource limits".
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { probeHttp } from './probe.js';
import type { ExitInfo, Instance, InstanceRef, RunSpec, Runtime } from './types.js';

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
  /**
   * Which hosts list() claims: written into every host's argv. The agent passes its edge id plus
   * its state directory, so two agents on one machine (or two test files) never reap each other's
   * instances. Default: a random value, i.e. only what this runtime object started.
   */
  scope?: string;
  /** Liveness probe period of ready instances; default 5000 ms, 0 turns it off. */
  healthIntervalMs?: number;
  /** Missed liveness probes in a row before the instance is killed; default 3. */
  healthFailures?: number;
}

interface Child {
  proc: ChildProcess;
  /** Resolves once the process is gone and its stderr is drained. */
  exited: Promise<ExitInfo>;
  stopping: boolean;
  /** Set once ready. */
  inst?: Instance;
  /** Set when the liveness probe killed it: prefixed to the exit's stderr. */
  cause?: string;
}

/** argv marker of a host; its value is base64(JSON {scope, labels}). */
const MARK = '--simedge=';

interface Mark {
  scope: string;
  labels: Record<string, string>;
}

function encodeMark(m: Mark): string {
  return MARK + Buffer.from(JSON.stringify(m), 'utf8').toString('base64');
}

/** The mark in a /proc cmdline (NUL-separated argv), or undefined. Hostile-safe: never throws. */
export function parseMark(cmdline: string): Mark | undefined {
  const arg = cmdline.split('\0').find((a) => a.startsWith(MARK));
  if (!arg) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(arg.slice(MARK.length), 'base64').toString('utf8'));
    if (typeof v !== 'object' || v === null) return undefined;
    const { scope, labels } = v as { scope?: unknown; labels?: unknown };
    if (typeof scope !== 'string' || typeof labels !== 'object' || labels === null) return undefined;
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(labels)) if (typeof x === 'string') out[k] = x;
    return { scope, labels: out };
  } catch {
    return undefined;
  }
}

async function readCmdline(pid: number): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie (a zombie is gone for our purposes). */
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised command name, which may contain spaces) is the state.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
  private readonly scope: string;
  private readonly healthIntervalMs: number;
  private readonly healthFailures: number;
  /** Every child we spawned and have not seen exit, ready or still starting, by instance id. */
  private readonly children = new Map<string, Child>();
  private seq = 0;

  constructor(opts: ProcessRuntimeOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.callTimeoutMs = opts.callTimeoutMs ?? 1000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 5000;
    this.graceMs = opts.graceMs ?? 2000;
    this.scope = opts.scope ?? randomUUID();
    this.healthIntervalMs = opts.healthIntervalMs ?? 5000;
    this.healthFailures = opts.healthFailures ?? 3;
  }

  async start(spec: RunSpec): Promise<Instance> {
    const id = `${spec.pid}/${spec.service}/${++this.seq}`;
    const heapMb = Math.max(HEAP_FLOOR_MB, Math.ceil(spec.res.mem));
    const child = this.spawn(heapMb, { scope: this.scope, labels: { ...spec.labels } });
    this.children.set(id, child);
    try {
      const port = await this.listening(child, spec.code);
      const endpoint = `http://${urlHost(this.host)}:${port}/`;
      await Promise.race([probeHttp(`${endpoint}healthz`, this.startTimeoutMs), child.exited.then((i) => Promise.reject(exitError(i)))]);
      const inst: Instance = { id, pid: spec.pid, service: spec.service, endpoint, res: { ...spec.res } };
      if (child.proc.pid !== undefined) inst.osPid = child.proc.pid;
      child.inst = inst;
      void child.exited.then((info) => {
        if (child.stopping) return;
        this.children.delete(id);
        this.onExit?.(inst, child.cause ? { ...info, stderr: `${child.cause}${info.stderr ? `; ${info.stderr}` : ''}` } : info);
      });
      this.watch(child, `${endpoint}healthz`);
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

  async list(): Promise<InstanceRef[]> {
    const refs = new Map<number, InstanceRef>();
    let pids: number[] = [];
    try {
      pids = (await readdir('/proc')).filter((d) => /^[0-9]+$/.test(d)).map(Number);
    } catch {
      // No /proc: only our own children are known (the lifeline cleans up the rest).
    }
    // In parallel: one /proc read at a time costs seconds on slow (sandboxed) file systems.
    await Promise.all(pids.map(async (pid) => {
      const cmd = await readCmdline(pid);
      const mark = cmd === undefined ? undefined : parseMark(cmd);
      if (mark?.scope === this.scope && (await running(pid))) refs.set(pid, { id: `proc:${pid}`, labels: mark.labels, osPid: pid });
    }));
    // Our own ready children are reported under their Instance id (the contract: ref.id === inst.id).
    for (const [id, c] of this.children) {
      const pid = c.proc.pid;
      if (pid === undefined) continue;
      if (!c.inst) refs.delete(pid);
      else refs.set(pid, { id, labels: this.labelsOf(c), osPid: pid, endpoint: c.inst.endpoint });
    }
    return [...refs.values()];
  }

  async adopt(ref: InstanceRef): Promise<Instance | undefined> {
    // Only our own ready children can be handed out: a host from a previous agent lost its IPC
    // lifeline and is exiting, so it is never healthy for long.
    const own = [...this.children.values()].find((c) => c.inst && c.proc.pid === ref.osPid);
    return own?.inst;
  }

  async remove(ref: InstanceRef): Promise<void> {
    const own = [...this.children.entries()].find(([, c]) => c.proc.pid === ref.osPid);
    if (own) {
      await this.kill(own[1]);
      this.children.delete(own[0]);
      return;
    }
    const pid = ref.osPid;
    if (pid === undefined) return;
    // Guard against pid reuse: only signal a process that still carries our mark.
    const cmd = await readCmdline(pid);
    if (cmd === undefined || parseMark(cmd)?.scope !== this.scope) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(pid, s);
      } catch {
        // Already gone.
      }
    };
    signal('SIGTERM');
    const killAt = Date.now() + this.graceMs;
    let killed = false;
    // Not our child: no 'exit' event to wait on, so poll /proc (bounded by the grace period).
    while (await running(pid)) {
      if (!killed && Date.now() >= killAt) {
        signal('SIGKILL');
        killed = true;
      }
      await pause(20);
    }
  }

  async close(): Promise<void> {
    const all = [...this.children.values()];
    this.children.clear();
    await Promise.all(all.map((c) => this.kill(c)));
  }

  private labelsOf(c: Child): Record<string, string> {
    const arg = c.proc.spawnargs.find((a) => a.startsWith(MARK));
    return (arg && parseMark(arg)?.labels) || {};
  }

  /** Liveness: probe a ready instance periodically; kill it after healthFailures misses in a row. */
  private watch(child: Child, url: string): void {
    if (this.healthIntervalMs <= 0) return;
    let misses = 0;
    const timer = setInterval(() => {
      if (child.stopping) return;
      probeHttp(url, Math.min(this.healthIntervalMs, 2000)).then(
        () => {
          misses = 0;
        },
        (e: unknown) => {
          if (++misses < this.healthFailures || child.stopping) return;
          child.cause = `health check failed ${misses} times: ${e instanceof Error ? e.message : String(e)}`;
          child.proc.kill('SIGKILL');
        },
      );
    }, this.healthIntervalMs);
    // The probe must not keep the agent alive on its own.
    timer.unref();
    void child.exited.then(() => clearInterval(timer));
  }

  private spawn(heapMb: number, mark: Mark): Child {
    const proc = fork(FN_HOST, [this.host, String(this.callTimeoutMs), encodeMark(mark)], {
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
