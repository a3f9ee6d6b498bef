// The `oci` runtime (DESIGN.md "Runtimes"): each instance is a container started through the
// Docker Engine API (dockerode), so it works against Docker and against Podman's compatible socket
// (`podman system service`). The image is the locally built fn image, pinned by digest
// (image/build.ts); cgroup limits come from res (image/fn-container.ts); the fn port is published
// on 127.0.0.1 only, on a port the engine picks; readiness is a real GET /healthz through that
// published port. Every container carries the RunSpec's labels, so after an agent crash list()
// finds them by `simedge.edge` and the reconciler adopts or removes them.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import type Docker from 'dockerode';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { dnsName, FN_PORT, fnArgs, fnEnv, fnLimits } from './image/fn-container.js';
import { FN_USER } from './image/build.js';
import { asDeployFailed, exitError } from './deploy-error.js';
import { httpEndpoint } from './endpoint.js';
import { probeHttp } from './probe.js';
import { LABEL, type ExitInfo, type Instance, type InstanceRef, type RunSpec, type Runtime } from './types.js';
import { waitHealthy } from './wait-healthy.js';

/**
 * Labels this runtime adds for itself (to rebuild an Instance on adopt). The RunSpec's labels are
 * also kept as one JSON label, because the engine merges the image's labels into the container's
 * and list() must return exactly the RunSpec's.
 */
const PRIVATE = 'simedge.oci.';
const PORT_KEY = `${FN_PORT}/tcp`;
const STDERR_TAIL = 2048;
/** How often start() checks that a container which is not healthy yet is still running. */
const STARTUP_POLL_MS = 200;
/** How often a ready container is checked for an exit (see exitPoll: not wait(), for Podman < 4.5). */
const RUNNING_POLL_MS = 1000;

export interface OciRuntimeOptions {
  /** Engine connection, e.g. `new Docker({ socketPath })` (Docker or `podman system service`). */
  docker: Docker;
  /** The fn image, pinned: `repo@sha256:<64 hex>` or an image id `sha256:<64 hex>` (see ensureFnImage). */
  image: string;
  /** Edge id this runtime works for: list() finds containers labelled simedge.edge=<edge>. */
  edge: string;
  /** Host address the fn port is published on; default 127.0.0.1 (never all interfaces by default). */
  host?: string;
  /** Time bound of one function call; default 1000 ms. */
  callTimeoutMs?: number;
  /** Time from create to a healthy instance before start fails; default 15000 ms. */
  startTimeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL on stop; default 2. */
  graceSec?: number;
}

interface Tracked {
  container: Docker.Container;
  /** Resolves when the container has stopped running (however it ended). */
  exited: Promise<ExitInfo>;
  stopping: boolean;
}

const PINNED = /^(?:[^\s@]+@)?sha256:[0-9a-f]{64}$/;

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Docker's non-TTY log stream: frames of [stream, 0, 0, 0, size u32 BE] + payload; keep stderr (2). */
export function demuxStderr(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    if (buf[i] === 2) out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

/** Exit status 128+n means signal n (shell convention the engines follow). */
function signalName(code: number): string | null {
  if (code <= 128) return null;
  const n = code - 128;
  const hit = Object.entries(constants.signals).find(([, v]) => v === n);
  return hit ? hit[0] : null;
}

export class OciRuntime implements Runtime {
  readonly name = 'oci';
  onExit?: (inst: Instance, info: ExitInfo) => void;
  private readonly docker: Docker;
  private readonly image: string;
  private readonly edge: string;
  private readonly host: string;
  private readonly callTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly graceSec: number;
  /** Containers this runtime created or adopted and has not removed, by container id. */
  private readonly live = new Map<string, Tracked>();
  private seq = 0;

  constructor(opts: OciRuntimeOptions) {
    if (!PINNED.test(opts.image)) throw new TypeError(`OciRuntime: image must be pinned by digest (name@sha256:… or sha256:…), got ${opts.image}`);
    this.docker = opts.docker;
    this.image = opts.image;
    this.edge = opts.edge;
    this.host = opts.host ?? '127.0.0.1';
    this.callTimeoutMs = opts.callTimeoutMs ?? 1000;
    this.startTimeoutMs = opts.startTimeoutMs ?? 15_000;
    this.graceSec = opts.graceSec ?? 2;
  }

  async start(spec: RunSpec): Promise<Instance> {
    const limits = fnLimits(spec.res);
    const labels: Record<string, string> = { [LABEL.edge]: spec.edge, ...spec.labels };
    labels[`${PRIVATE}pid`] = spec.pid;
    labels[`${PRIVATE}service`] = spec.service;
    labels[`${PRIVATE}res`] = JSON.stringify(spec.res);
    labels[`${PRIVATE}labels`] = JSON.stringify({ [LABEL.edge]: spec.edge, ...spec.labels });
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        name: dnsName(['simedge', spec.edge, spec.pid, spec.service], `${++this.seq}${randomBytes(3).toString('hex')}`),
        Image: this.image,
        Cmd: fnArgs(limits),
        Env: Object.entries(fnEnv(spec.code, this.callTimeoutMs)).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        User: FN_USER,
        ExposedPorts: { [PORT_KEY]: {} },
        HostConfig: {
          Memory: limits.memoryBytes,
          // Swap equal to memory: no swap, so the memory limit is the real bound.
          MemorySwap: limits.memoryBytes,
          NanoCpus: limits.nanoCpus,
          PidsLimit: 64,
          // Published on one loopback address with an engine-chosen port: the device-facing
          // proxy (or the device on this box) reaches it; nothing else on the network does.
          PortBindings: { [PORT_KEY]: [{ HostIp: this.host, HostPort: '' }] },
          ReadonlyRootfs: true,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
        },
      });
    } catch (e) {
      throw new SimedgeError('DEPLOY_FAILED', `create container: ${e instanceof Error ? e.message : String(e)}`);
    }
    const t = this.track(container);
    try {
      await container.start();
      const endpoint = await this.endpointOf(container);
      if (!endpoint) throw new SimedgeError('DEPLOY_FAILED', 'container has no published fn port');
      // Until ready, an exit is found by a slow inspect poll, not by wait(): Podman before 4.5
      // serves the compat /wait by polling the container state every microsecond, and that
      // busy loop slowed the container's own start by ~200 ms (podman PR #18149).
      const startup = { done: false };
      const gone = this.exitPoll(container, startup, STARTUP_POLL_MS).then((info) => Promise.reject(exitError(info)));
      try {
        await waitHealthy(`${endpoint}healthz`, this.startTimeoutMs, gone);
      } finally {
        startup.done = true;
      }
      t.exited = this.exitPoll(container, t, RUNNING_POLL_MS);
      const inst: Instance = { id: container.id, pid: spec.pid, service: spec.service, endpoint, res: { ...spec.res } };
      this.afterReady(inst, t);
      return inst;
    } catch (e) {
      await this.destroy(t);
      throw asDeployFailed(e);
    }
  }

  async stop(inst: Instance): Promise<void> {
    const t = this.live.get(inst.id);
    if (t) await this.destroy(t);
  }

  async list(): Promise<InstanceRef[]> {
    const found = await this.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.edge}=${this.edge}`] }) });
    return found.map((c) => {
      const ref: InstanceRef = { id: c.Id, labels: publicLabels(c.Labels ?? {}) };
      const p = c.Ports?.find((x) => x.PrivatePort === FN_PORT && x.PublicPort);
      if (c.State === 'running' && p?.PublicPort) ref.endpoint = httpEndpoint(p.IP && p.IP !== '0.0.0.0' ? p.IP : this.host, p.PublicPort);
      return ref;
    });
  }

  async adopt(ref: InstanceRef): Promise<Instance | undefined> {
    const container = this.docker.getContainer(ref.id);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
    const labels = info.Config.Labels ?? {};
    if (!info.State.Running || labels[LABEL.edge] !== this.edge) return undefined;
    const endpoint = endpointFromInspect(info, this.host);
    if (!endpoint) return undefined;
    try {
      await probeHttp(`${endpoint}healthz`, 2000);
    } catch {
      return undefined;
    }
    let res: { cpu: number; mem: number } = { cpu: 0, mem: 0 };
    try {
      const r = JSON.parse(labels[`${PRIVATE}res`] ?? '') as { cpu?: unknown; mem?: unknown };
      if (typeof r.cpu === 'number' && typeof r.mem === 'number') res = { cpu: r.cpu, mem: r.mem };
    } catch {
      // Started by something else with our edge label: adopt it with unknown reservations.
    }
    const inst: Instance = { id: info.Id, pid: labels[`${PRIVATE}pid`] ?? '', service: labels[`${PRIVATE}service`] ?? labels[LABEL.service] ?? '', endpoint, res };
    const t = this.live.get(info.Id) ?? this.track(container);
    t.exited = this.exitPoll(container, t, RUNNING_POLL_MS);
    this.afterReady(inst, t);
    return inst;
  }

  async remove(ref: InstanceRef): Promise<void> {
    await this.destroy(this.live.get(ref.id) ?? { container: this.docker.getContainer(ref.id), exited: Promise.resolve(noExit), stopping: false });
  }

  async close(): Promise<void> {
    const all = [...this.live.values()];
    await Promise.all(all.map((t) => this.destroy(t)));
  }

  private track(container: Docker.Container): Tracked {
    const t: Tracked = { container, exited: Promise.resolve(noExit), stopping: false };
    this.live.set(container.id, t);
    return t;
  }

  /** Wait for the container to stop running, then collect how it ended and its stderr tail. */
  private async watch(container: Docker.Container): Promise<ExitInfo> {
    let code: number | null = null;
    try {
      const r = (await container.wait()) as { StatusCode?: unknown };
      if (typeof r.StatusCode === 'number') code = r.StatusCode;
    } catch {
      // Removed under us (404) or the engine went away: it is not running either way.
    }
    let stderr = '';
    let oom = false;
    try {
      const buf = (await container.logs({ stdout: false, stderr: true, tail: 50 })) as unknown as Buffer;
      stderr = demuxStderr(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).slice(-STDERR_TAIL).trim();
      oom = (await container.inspect()).State.OOMKilled === true;
    } catch {
      // Already removed: no logs to tell.
    }
    const signal = code === null ? null : signalName(code);
    return { code: signal ? null : code, signal, stderr: oom ? `${stderr}${stderr ? '\n' : ''}OOM killed (memory limit)` : stderr };
  }

  /**
   * Resolves with how the container ended once it stops running; stops polling (and never settles)
   * once `until` says so (`done` after start-up, `stopping` when we remove it ourselves). An inspect
   * poll instead of wait(): Podman before 4.5 serves the Docker-compatible /wait by checking the
   * container state every microsecond (podman PR #18149), which burned ~70% of a core per running
   * container and, during start-up, slowed the container's own start by ~200 ms. Once it is not
   * running, watch() returns at once with the exit code and stderr tail.
   */
  private exitPoll(container: Docker.Container, until: { done?: boolean; stopping?: boolean }, intervalMs: number): Promise<ExitInfo> {
    const over = () => until.done === true || until.stopping === true;
    return new Promise((resolve) => {
      const tick = async (): Promise<void> => {
        if (over()) return;
        let running = true;
        try {
          running = (await container.inspect()).State.Running;
        } catch (e) {
          // Gone (404) means not running; any other engine error: try again on the next tick.
          running = statusOf(e) !== 404;
        }
        if (over()) return;
        if (!running) resolve(this.watch(container));
        else setTimeout(() => void tick(), intervalMs).unref();
      };
      setTimeout(() => void tick(), intervalMs).unref();
    });
  }

  private afterReady(inst: Instance, t: Tracked): void {
    void t.exited.then(async (info) => {
      if (t.stopping) return;
      // It died on its own: report it, and remove the dead container so nothing accumulates.
      await this.destroy(t);
      this.onExit?.(inst, info);
    });
  }

  private async endpointOf(container: Docker.Container): Promise<string | undefined> {
    return endpointFromInspect(await container.inspect(), this.host);
  }

  /** Stop (SIGTERM, then SIGKILL after the grace time) and remove; absent is fine. */
  private async destroy(t: Tracked): Promise<void> {
    t.stopping = true;
    try {
      await t.container.stop({ t: this.graceSec });
    } catch (e) {
      // 304: already stopped; 404: already gone.
      if (statusOf(e) !== 304 && statusOf(e) !== 404) throw e;
    }
    try {
      await t.container.remove({ force: true, v: true });
    } catch (e) {
      // 404: gone; 409: removal already in progress (a concurrent stop/close).
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
    }
    this.live.delete(t.container.id);
  }
}

const noExit: ExitInfo = { code: null, signal: null, stderr: '' };

function publicLabels(all: Record<string, string>): Record<string, string> {
  try {
    const v = JSON.parse(all[`${PRIVATE}labels`] ?? '') as unknown;
    if (typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string')) return v as Record<string, string>;
  } catch {
    // Not started by this runtime (no JSON copy): fall back to the engine's merged view.
  }
  return Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith(PRIVATE)));
}

function endpointFromInspect(info: Docker.ContainerInspectInfo, fallbackHost: string): string | undefined {
  const b = info.NetworkSettings.Ports?.[PORT_KEY]?.[0];
  if (!b?.HostPort) return undefined;
  const ip = b.HostIp && b.HostIp !== '0.0.0.0' ? b.HostIp : fallbackHost;
  return httpEndpoint(ip, b.HostPort);
}
