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
// agent's reconciler restarts it with backoff). CPU: `res.cpu` > 0 becomes a CFS quota in a
// per-instance cgroup (cgroup.ts) where the machine lets us write one; limits() says which.
//
// Sandbox, outermost wall (fn-host.mjs wall 5): Node's permission model with read access to the
// host file only - no other file, no child process, no worker - an empty environment, cwd in the
// temp dir, and the V8 heap bound from res.mem.
//
// Warm start: Node's own start-up (~70 % of a cold start) does not depend on the function, so
// after each start one standby host per heap size is spawned ahead, waiting for its code
// (`hello`); the next start with that heap size only sends code and port. Standby hosts are
// unref'd (they never keep the agent alive), hidden from list(), and end with the runtime.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { CpuCgroup, detectCpuLimits, sweepCgroups, type CpuLimits } from './cgroup.js';
import { asDeployFailed, exitError } from './deploy-error.js';
import { httpEndpoint } from './endpoint.js';
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
  /** Edge id: names the cgroup folder `simedge/<edge>/…`; default a random value. */
  edge?: string;
  /** Where cgroups are mounted; default /sys/fs/cgroup. `false`: never enforce CPU limits. */
  cgroupRoot?: string | false;
  /** Keep a standby host per recent heap size for warm starts; default true. */
  warm?: boolean;
}

/** At most this many standby hosts (heap sizes) wait at once. */
const MAX_STANDBY = 2;

/** What V8 writes to stderr when the heap limit is reached (before its native stack dump). */
const OOM_MARK = 'heap out of memory';

interface Child {
  proc: ChildProcess;
  /** Resolves once the process is gone and its stderr is drained. */
  exited: Promise<ExitInfo>;
  stopping: boolean;
  /** Set once ready. */
  inst?: Instance;
  /** Set when the liveness probe killed it: prefixed to the exit's stderr. */
  cause?: string;
  /** Its CPU cgroup, removed once it exited. */
  cgroup?: CpuCgroup;
  /** Resolves once the host said `hello` (ready for its code). */
  hello: Promise<void>;
  /** Labels of the instance it runs (a standby's argv carries none). */
  labels?: Record<string, string>;
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
  private readonly edge: string;
  private readonly cgroupRoot: string | false;
  private cpu: Promise<CpuLimits> | undefined;
  private readonly warm: boolean;
  /** Standby hosts by heap size (MB), spawned ahead and waiting for code. */
  private readonly standby = new Map<number, Child>();
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
    this.edge = opts.edge ?? `anon-${randomUUID()}`;
    this.cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
    this.warm = opts.warm ?? true;
  }

  /**
   * How CPU limits are enforced on this machine (detected once): a cgroup v1/v2 folder, or `none`
   * with the reason - then `res.cpu` is only accounted.
   */
  limits(): Promise<CpuLimits> {
    this.cpu ??= (async () => {
      if (this.cgroupRoot === false) return { kind: 'none', why: 'CPU limits turned off (cgroupRoot: false)' } as const;
      const l = await detectCpuLimits(this.edge, this.cgroupRoot);
      // Empty instance cgroups a crashed agent of this edge left behind.
      if (l.kind !== 'none') await sweepCgroups(l);
      return l;
    })();
    return this.cpu;
  }

  async start(spec: RunSpec): Promise<Instance> {
    if (spec.port !== undefined) {
      // The port it had before (a stable endpoint across restarts); taken by someone else -> any port.
      try {
        return await this.startOn(spec, spec.port);
      } catch (e) {
        if (!(e instanceof SimedgeError && /EADDRINUSE/.test(e.detail ?? ''))) throw e;
      }
    }
    return this.startOn(spec, 0);
  }

  private async startOn(spec: RunSpec, port: number): Promise<Instance> {
    const id = `${spec.pid}/${spec.service}/${++this.seq}`;
    const heapMb = Math.max(HEAP_FLOOR_MB, Math.ceil(spec.res.mem));
    const limits = spec.res.cpu > 0 ? await this.limits() : undefined;
    let cgroup: CpuCgroup | undefined;
    if (limits && limits.kind !== 'none') {
      try {
        cgroup = await CpuCgroup.create(limits, `${id}-${randomUUID().slice(0, 8)}`, spec.res.cpu);
      } catch (e) {
        throw new SimedgeError('DEPLOY_FAILED', `cpu limit ${spec.res.cpu}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const child = this.takeStandby(heapMb) ?? this.spawn(heapMb, { scope: this.scope, labels: { ...spec.labels } });
    child.labels = { ...spec.labels };
    if (cgroup) child.cgroup = cgroup;
    this.children.set(id, child);
    try {
      // Into its cgroup before the code is sent (user code never runs outside its CPU limit), but
      // after Node's own start-up, which a small quota would stretch tenfold.
      const join = cgroup && child.proc.pid !== undefined ? () => (cgroup as CpuCgroup).add(child.proc.pid as number) : undefined;
      const bound = await this.listening(child, spec.code, port, join);
      const endpoint = httpEndpoint(this.host, bound);
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
      throw asDeployFailed(e);
    } finally {
      // The next start of this heap size is warm; spawned now, not competing with this one.
      this.refill(heapMb);
    }
  }

  /** The CPU cgroup of a running instance (tests read its quota and usage back). */
  cgroupOf(inst: Instance): CpuCgroup | undefined {
    return this.children.get(inst.id)?.cgroup;
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
    const standby = new Set([...this.standby.values()].map((c) => c.proc.pid));
    try {
      pids = (await readdir('/proc')).filter((d) => /^[0-9]+$/.test(d)).map(Number);
    } catch {
      // No /proc: only our own children are known (the lifeline cleans up the rest).
    }
    // In parallel: one /proc read at a time costs seconds on slow (sandboxed) file systems.
    await Promise.all(pids.map(async (pid) => {
      const cmd = await readCmdline(pid);
      const mark = cmd === undefined ? undefined : parseMark(cmd);
      if (mark?.scope === this.scope && !standby.has(pid) && (await running(pid))) refs.set(pid, { id: `proc:${pid}`, labels: mark.labels, osPid: pid });
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
    const all = [...this.children.values(), ...this.standby.values()];
    this.children.clear();
    this.standby.clear();
    await Promise.all(all.map((c) => this.kill(c)));
    // The edge's cgroup folder, once empty (another runtime object of this edge may still use it).
    const l = this.cpu ? await this.cpu : undefined;
    if (l && l.kind !== 'none') await rmdir(l.dir).catch(() => undefined);
  }

  private labelsOf(c: Child): Record<string, string> {
    if (c.labels) return c.labels;
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

  /** A live standby host of this heap size, taken out of the pool (ref'd again: it is an instance now). */
  private takeStandby(heapMb: number): Child | undefined {
    const c = this.standby.get(heapMb);
    if (!c) return undefined;
    this.standby.delete(heapMb);
    if (c.proc.exitCode !== null || c.proc.signalCode !== null || !c.proc.connected) return undefined;
    c.proc.ref();
    c.proc.channel?.ref();
    return c;
  }

  /** Spawn a standby host for the next start of this heap size (warm start). */
  private refill(heapMb: number): void {
    if (!this.warm || this.standby.has(heapMb)) return;
    if (this.standby.size >= MAX_STANDBY) {
      const [oldest, c] = [...this.standby][0] ?? [];
      if (oldest !== undefined && c) {
        this.standby.delete(oldest);
        void this.kill(c);
      }
    }
    const c = this.spawn(heapMb, { scope: this.scope, labels: {} });
    // Waiting hosts must not keep the agent's event loop alive.
    c.proc.unref();
    c.proc.channel?.unref();
    this.standby.set(heapMb, c);
    void c.exited.then(() => {
      if (this.standby.get(heapMb) === c) this.standby.delete(heapMb);
    });
  }

  private spawn(heapMb: number, mark: Mark): Child {
    const proc = fork(FN_HOST, [this.host, String(this.callTimeoutMs), encodeMark(mark)], {
      // Explicit execArgv and env: never inherit the agent's loaders (tsx) or NODE_OPTIONS, and
      // never hand the agent's environment (paths, tokens) to user code's process. The permission
      // model lets the host read its own file and nothing else (README "Sandbox"); its
      // "experimental" warning would otherwise open every stderr tail.
      execArgv: [`--max-old-space-size=${heapMb}`, '--experimental-permission', `--allow-fs-read=${FN_HOST}`, '--disable-warning=ExperimentalWarning'],
      // The port comes with the code (a standby host is spawned before it is known).
      env: {},
      cwd: tmpdir(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let tail = '';
    let oom = false;
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (s: string) => {
      // Checked on the joint of the old tail and the chunk: the mark may straddle two chunks, and
      // V8's native stack dump after it would push it out of the tail.
      if (!oom && (tail.slice(-OOM_MARK.length) + s).includes(OOM_MARK)) oom = true;
      tail = (tail + s).slice(-STDERR_TAIL);
    });
    const exited = new Promise<ExitInfo>((resolve) => {
      proc.once('close', (code, signal) => {
        const stderr = oom ? `heap limit of ${heapMb} MB exhausted (JavaScript heap out of memory)` : tail.trim();
        resolve({ code, signal, stderr });
      });
      // A spawn failure may never emit 'close'; nothing is running then.
      proc.once('error', (e) => {
        if (proc.pid === undefined) resolve({ code: null, signal: null, stderr: e.message });
      });
    });
    const hello = new Promise<void>((resolve) => {
      const on = (m: unknown) => {
        if ((m as { t?: unknown } | null)?.t !== 'hello') return;
        proc.off('message', on);
        resolve();
      };
      proc.on('message', on);
    });
    const child: Child = { proc, exited, stopping: false, hello };
    // The cgroup goes once the process is gone (a cgroup with a member cannot be removed).
    void exited.then(() => child.cgroup?.remove().catch(() => undefined));
    return child;
  }

  /**
   * Once the host said `hello`: move it into its cgroup (`join`), send the code and the port, and
   * resolve with the port it listens on.
   */
  private listening(child: Child, code: string, port: number, join?: () => Promise<void>): Promise<number> {
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
      void child.hello.then(async () => {
        try {
          await join?.();
        } catch (e) {
          clearTimeout(timer);
          reject(new SimedgeError('DEPLOY_FAILED', `cpu limit: cannot join the cgroup: ${e instanceof Error ? e.message : String(e)}`));
          return;
        }
        // A send to a child that already died fails here and is reported by `exited` instead.
        child.proc.send({ t: 'code', src: code, port }, () => {});
      });
    });
  }

  private async kill(child: Child): Promise<void> {
    child.stopping = true;
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), this.graceMs);
    await child.exited;
    clearTimeout(timer);
    // Resolved stop() means the resources are free: the cgroup folder too.
    await child.cgroup?.remove().catch(() => undefined);
  }
}
