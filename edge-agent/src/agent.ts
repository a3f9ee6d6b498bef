// The edge agent: a thin shell around MQTT. It verifies every order (verify.ts), answers
// redeliveries from the journal, serialises orders per provisioning id and dispatches each order
// type to its handler (handlers/), which persists the desired state (store/) before anything
// happens. The reconciler (reconcile/) makes the runtimes match it - on start-up too, adopting or
// removing what a previous agent process left behind. The status is republished (retained)
// whenever the instance table changes, and the last will marks the edge offline. Artefact
// references in deploys are fetched through the artefact cache (artefacts/), whose holders follow
// the instance table and whose gc runs periodically; the runtime is chosen by configuration
// (runtime/configure.ts).
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { randomUUID } from 'node:crypto';
import { connectMqtt, endMqtt, type MqttClient, type MqttTls } from '@simedge/device-sdk/node';
import { encodeMsg, isEdgeId, topics, type EdgeEvent, type Order, type Step, type TraceSink } from '@simedge/device-sdk/wire';
import { ArtefactCache, ArtefactHolders, type Fetcher, type Holding } from './artefacts/index.js';
import type { EdgeContext } from './context.js';
import { handleDeploy } from './handlers/deploy.js';
import { handleRemove } from './handlers/remove.js';
import { InstanceTable } from './instances.js';
import { OrderJournal } from './journal.js';
import { stderrLog, type Log } from './log.js';
import { EdgeMetrics } from './metrics.js';
import { Backoff, type BackoffOptions } from './reconcile/backoff.js';
import type { ExecEnv } from './reconcile/executor.js';
import { desiredInstances } from './reconcile/desired.js';
import { Reconciler } from './reconcile/loop.js';
import type { CpuLimits } from './runtime/cgroup.js';
import { buildRuntime, type KubernetesConfig, type OciConfig } from './runtime/configure.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './runtime/process.js';
import type { ExitInfo, Instance, Runtime } from './runtime/types.js';
import { buildStatus } from './status.js';
import { StateStore } from './store/store.js';
import { checkOrder, coreKeyMap, type CoreKeys } from './verify.js';

export interface EdgeOptions {
  /** Edge id, e.g. 'edge-a'. */
  id: string;
  brokerUrl: string;
  /** Mutual TLS to an `mqtts://` broker (DESIGN.md Trust): the operator CA and this edge's
   *  certificate and key (role edge, id = this edge's id), all PEM. */
  tls?: MqttTls;
  /** Trusted order signers. */
  coreKeys: Array<{ kid: string; publicKey: Uint8Array }>;
  /** Cells this edge serves (reported in status). */
  cells: string[];
  /** Default { cpu: 2, mem: 1024 }. */
  capacity?: { cpu: number; mem: number };
  /** Where services listen, default '127.0.0.1'. */
  host?: string;
  trace?: TraceSink;
  /** ms clock (order expiry tests). */
  now?: () => number;
  /**
   * Directory of the crash-safe state (SQLite `edge.sqlite`: applied orders, desired state, owed
   * answers). Without it the state is in memory and dies with the agent (tests, the demo).
   */
  stateDir?: string;
  /**
   * Runtime that runs the catalog's services: 'process' (default), 'oci' (a container engine, see
   * `oci`), 'kubernetes' (see `kubernetes`), or a Runtime object built by the caller. The process
   * runtime is always available as well.
   */
  runtime?: 'process' | 'oci' | 'kubernetes' | Runtime;
  /** Container engine of runtime 'oci' (and where 'kubernetes' builds its image). */
  oci?: OciConfig;
  /** Cluster of runtime 'kubernetes', or `{ podmanKubePlay: true }` on one box. */
  kubernetes?: KubernetesConfig;
  /** The artefact cache (function repository) that deploys fetch `art` references through. */
  artefacts?: ArtefactOptions;
  /** Options of the built-in process runtime (liveness probe period, stop grace, ...). */
  process?: Omit<ProcessRuntimeOptions, 'host' | 'scope'>;
  /** How long a shared (`share: "class"`) instance outlives its last device; default 30 000 ms. */
  sharedGraceMs?: number;
  /** Restart backoff of instances that end on their own. */
  restart?: BackoffOptions;
  /** Serve Prometheus metrics on 127.0.0.1:<port> (0 = any free port; see metricsPort()). */
  metricsPort?: number;
  /** Operator log lines; default stderr. */
  log?: Log;
}

export interface ArtefactOptions {
  /** Cache folder; default `<stateDir>/artefacts`, or a temp folder removed on stop. */
  dir?: string;
  /** Disk budget of artefacts plus fn images; default 512 MiB. */
  quotaBytes?: number;
  /** Largest single artefact; default 4 MiB (the fn host's source limit). */
  maxArtefactBytes?: number;
  /** Pre-seed every file of this folder into the cache on start (offline boxes). */
  seedDir?: string;
  /** Period of the garbage collection; default 60 000 ms. */
  gcIntervalMs?: number;
  /** Fetch function (default the global fetch). */
  fetch?: Fetcher;
}

/** Fail messages are at most 256 characters on the wire (messages.ts). */
const MAX_MSG = 256;

export class EdgeAgent {
  private readonly id: string;
  private readonly actor: string;
  private readonly opts: EdgeOptions;
  private readonly keys: CoreKeys;
  private readonly capacity: { cpu: number; mem: number };
  private readonly now: () => number;
  private readonly log: Log;
  private readonly store: StateStore;
  private readonly journal: OrderJournal;
  private readonly table = new InstanceTable();
  private readonly runtimes: Record<string, Runtime>;
  private readonly metricsReg: EdgeMetrics;
  private readonly reconciler: Reconciler;
  /** Per provisioning id, the tail of its order chain: orders for one pid run one at a time. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly ctx: EdgeContext;
  private client: MqttClient | undefined;
  private stopping = false;
  private flushing: Promise<void> = Promise.resolve();
  private metricsServer: { port: number; close: () => Promise<void> } | undefined;
  private readonly proc: ProcessRuntime;
  private readonly mainName: string;
  private readonly artefacts: ArtefactCache;
  private readonly holders: ArtefactHolders;
  /** The cache folder when it is a temp one (removed on stop). */
  private readonly tempArtefacts: string | undefined;
  private gcTimer: NodeJS.Timeout | undefined;

  constructor(opts: EdgeOptions) {
    if (!isEdgeId(opts.id)) throw new TypeError(`EdgeAgent: not an edge id: ${String(opts.id)}`);
    if (!Array.isArray(opts.cells)) throw new TypeError('EdgeAgent: cells must be a list');
    this.opts = opts;
    this.id = opts.id;
    this.actor = `edge:${opts.id}`;
    this.keys = coreKeyMap(opts.coreKeys);
    this.capacity = { ...(opts.capacity ?? { cpu: 2, mem: 1024 }) };
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? stderrLog(this.actor);
    this.store = new StateStore(opts.stateDir);
    this.journal = new OrderJournal(this.store);
    this.metricsReg = new EdgeMetrics(this.id);
    // The scope ties leftover host processes to this edge's state: only a restart on the same
    // state directory claims them (an in-memory agent has nothing to come back to).
    const scope = opts.stateDir !== undefined ? `${this.id}@${resolvePath(opts.stateDir)}` : `${this.id}@${randomUUID()}`;
    const proc = new ProcessRuntime({ ...opts.process, ...(opts.host !== undefined ? { host: opts.host } : {}), scope, edge: this.id });
    this.proc = proc;
    this.runtimes = { [proc.name]: proc };
    // 'oci' and 'kubernetes' need I/O to build (the fn image): start() adds them under this name.
    const main = typeof opts.runtime === 'object' ? opts.runtime : proc;
    this.mainName = typeof opts.runtime === 'string' ? opts.runtime : main.name;
    this.runtimes[main.name] = main;
    for (const rt of Object.values(this.runtimes)) rt.onExit = (inst, info) => this.instanceExited(inst, info);

    const a = opts.artefacts ?? {};
    this.tempArtefacts = a.dir === undefined && opts.stateDir === undefined ? join(tmpdir(), `simedge-art-${this.id}-${randomUUID()}`) : undefined;
    this.artefacts = new ArtefactCache({
      dir: a.dir ?? this.tempArtefacts ?? join(opts.stateDir ?? '.', 'artefacts'),
      quotaBytes: a.quotaBytes ?? 512 * 1024 * 1024,
      maxArtefactBytes: a.maxArtefactBytes ?? 4 * 1024 * 1024,
      ...(a.fetch !== undefined ? { fetch: a.fetch } : {}),
    });
    this.holders = new ArtefactHolders(this.artefacts);

    const env: ExecEnv = {
      edge: this.id,
      store: this.store,
      table: this.table,
      runtimes: this.runtimes,
      found: [],
      backoff: new Backoff(opts.restart),
      metrics: this.metricsReg,
      log: this.log,
      now: () => Date.now(),
      stopping: () => this.stopping,
      flush: () => this.flush(),
      settled: (oid) => this.reconciler.settled(oid),
      trace: (step, ev, imsi, detail) => this.trace(step, ev, imsi, detail),
      statusChanged: () => this.statusChanged(),
    };
    this.reconciler = new Reconciler(env, opts.sharedGraceMs ?? 30_000);
    this.env = env;
    this.ctx = {
      id: this.id,
      capacity: this.capacity,
      runtime: this.mainName,
      store: this.store,
      artefacts: this.artefacts,
      instances: this.table,
      metrics: this.metricsReg,
      now: () => Date.now(),
      flush: () => this.flush(),
      reconcile: () => this.reconciler.kick(),
      answered: (oid) => this.reconciler.answered(oid),
      trace: (step, ev, imsi, detail) => this.trace(step, ev, imsi, detail),
      log: this.log,
    };
  }

  private readonly env: ExecEnv;

  async start(): Promise<void> {
    if (this.client) throw new Error('EdgeAgent: already started');
    const statusTopic = topics.edgeStatus(this.id);
    const will = { topic: statusTopic, payload: Buffer.from(encodeMsg(this.status(false))), qos: 1 as const, retain: true };
    // clean session: orders that arrive while the edge is away are not queued for it; the core's
    // operation deadline covers them (a persistent session could deliver before our handler exists).
    const client = await connectMqtt(this.opts.brokerUrl, { clientId: `simedge-edge-${this.id}-${process.pid}`, clean: true, will, ...this.opts.tls });
    this.client = client;
    client.on('message', (topic, payload) => {
      if (topic !== topics.edgeOrders(this.id) || this.stopping) return;
      this.onOrder(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)).catch((e: unknown) => this.log(`order handling failed: ${String(e)}`));
    });
    // After a reconnect the broker has published our will: say we are back, and send what is owed.
    client.on('connect', () => {
      void this.publishStatus(true);
      void this.flush();
    });
    client.on('error', (e) => this.log(`mqtt: ${e.message}`));
    if (this.opts.metricsPort !== undefined) this.metricsServer = await this.metricsReg.listen(this.opts.metricsPort);
    await this.prepareRuntimes();
    if (this.opts.artefacts?.seedDir !== undefined) {
      const seeded = await this.artefacts.seed(this.opts.artefacts.seedDir);
      this.log(`artefact cache: pre-seeded ${seeded.length} artefact(s) from ${this.opts.artefacts.seedDir}`);
    }
    // Start-up reconcile: answers owed by a previous run go out first; provisions still waiting
    // for their answer hold their pid's order chain, so a new order for that pid waits for it.
    this.store.reopenUnsentReady();
    await this.flush();
    for (const p of this.store.provisions()) if (p.state !== 'ready') this.chains.set(p.pid, this.reconciler.answered(p.oid));
    await this.reconciler.discover();
    await this.reconciler.kick();
    // Adopted and restarted instances hold their artefacts again before anything is collected.
    await this.collect();
    const every = this.opts.artefacts?.gcIntervalMs ?? 60_000;
    this.gcTimer = setInterval(() => void this.collect(), every);
    this.gcTimer.unref();
    await client.subscribeAsync(topics.edgeOrders(this.id), { qos: 1 });
    await this.publishStatus(true);
  }

  /** Build the configured 'oci'/'kubernetes' runtime; say how CPU limits are enforced. */
  private async prepareRuntimes(): Promise<void> {
    const kind = this.opts.runtime;
    if (kind === 'oci' || kind === 'kubernetes') {
      const built = await buildRuntime(kind, {
        edge: this.id,
        ...(this.opts.host !== undefined ? { host: this.opts.host } : {}),
        ...(this.opts.oci !== undefined ? { oci: this.opts.oci } : {}),
        ...(this.opts.kubernetes !== undefined ? { kubernetes: this.opts.kubernetes } : {}),
      });
      built.runtime.onExit = (inst, info) => this.instanceExited(inst, info);
      this.runtimes[built.runtime.name] = built.runtime;
      if (built.pruner) this.artefacts.addImagePruner(built.pruner);
      this.log(`runtime ${built.runtime.name} ready`);
    }
    if (this.mainName === 'process') {
      const l = await this.proc.limits();
      const text = l.kind === 'none' ? `CPU limits NOT enforced (res.cpu only accounted): ${l.why}` : `CPU limits enforced with ${l.kind} under ${l.dir}`;
      // Only the degraded case is worth an operator's attention on stderr; both are traced.
      if (l.kind === 'none') this.log(text);
      this.trace(undefined, 'cpu-limits', undefined, text);
    }
  }

  /** How the process runtime enforces res.cpu on this machine (or why it does not). */
  cpuLimits(): Promise<CpuLimits> {
    return this.proc.limits();
  }

  /** Re-sync the artefact holders with what is desired and running, then garbage-collect. */
  private async collect(): Promise<void> {
    if (this.stopping) return;
    try {
      this.syncHolders();
      const r = await this.artefacts.gc();
      if (r.removed.length > 0) this.log(`artefact gc: removed ${r.removed.join(', ')} (${r.freedBytes} bytes)`);
    } catch (e) {
      this.log(`artefact gc failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private syncHolders(): void {
    const holdings: Holding[] = [];
    for (const d of desiredInstances(this.store.provisions())) if (d.spec.art !== undefined) holdings.push({ key: d.key, art: d.spec.art });
    for (const r of this.table.all()) if (r.art !== undefined) holdings.push({ key: r.key, art: r.art });
    this.holders.sync(holdings);
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (this.stopping) return;
    if (!client) {
      // Never connected (start() failed at the broker, or was not called): nothing runs yet, but
      // the state database is open and the state folder locked by it.
      this.stopping = true;
      this.store.close();
      if (this.tempArtefacts !== undefined) await rm(this.tempArtefacts, { recursive: true, force: true });
      return;
    }
    this.stopping = true;
    clearInterval(this.gcTimer);
    await this.reconciler.close();
    // Kill everything (also instances still starting), so in-flight deploys end quickly. The
    // desired state stays in the store: a restart on the same stateDir brings them back.
    await Promise.all(Object.values(this.runtimes).map((r) => r.close()));
    await Promise.allSettled([...this.chains.values()]);
    this.table.clear();
    await this.publishStatus(false);
    await endMqtt(client);
    await this.metricsServer?.close();
    this.client = undefined;
    this.store.close();
    if (this.tempArtefacts !== undefined) await rm(this.tempArtefacts, { recursive: true, force: true });
  }

  instances(): Array<{ pid: string; service: string; endpoint: string; osPid?: number; key: string }> {
    return this.table.all().map(({ inst, key }) => {
      const v: { pid: string; service: string; endpoint: string; osPid?: number; key: string } = { pid: inst.pid, service: inst.service, endpoint: inst.endpoint, key };
      if (inst.osPid !== undefined) v.osPid = inst.osPid;
      return v;
    });
  }

  /** Devices (pids) using an instance key: the refcount of a shared instance. */
  refs(key: string): string[] {
    return this.store.refs(key);
  }

  /** Prometheus text exposition of this agent's metrics. */
  metrics(): Promise<string> {
    return this.metricsReg.text();
  }

  /** Port of the metrics listener (metricsPort option), once started. */
  metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** [FIG. 2 step 205] One order off the wire: verify, then dedupe, then dispatch. */
  private async onOrder(bytes: Uint8Array): Promise<void> {
    const nowMs = this.now();
    const v = checkOrder(bytes, this.keys, this.id, nowMs);
    if (v.kind === 'drop') {
      this.log(`order dropped: ${v.why}`);
      this.trace(205, 'order-dropped', undefined, v.why);
      this.metricsReg.order('unknown', 'dropped');
      return;
    }
    const o = v.order;
    if (v.kind === 'invalid') {
      this.log(`order ${o.oid} refused: ${v.why}`);
      this.trace(205, 'order-invalid', o.imsi, `ORDER_INVALID ${v.why}`);
      this.metricsReg.order(o.t, 'invalid');
      await this.publishEvent({ t: 'fail', oid: o.oid, pid: o.pid, edge: this.id, code: 'ORDER_INVALID', msg: v.why });
      return;
    }
    // Replay check and dispatch happen inside the pid's chain: a redelivery that arrives while its
    // original is still being persisted then sees it.
    await this.serial(o.pid, async () => {
      this.journal.prune(nowMs);
      const prior = this.journal.get(o.oid);
      if (prior) {
        // A redelivery (our ack may have been lost): say again what we said, do nothing again.
        this.trace(205, 'order-replay', o.imsi, `${o.t} ${o.oid}: re-sent ${prior.length} event(s)`);
        this.metricsReg.order(o.t, 'replay');
        for (const ev of prior) await this.publishEvent(ev);
        return;
      }
      this.trace(o.t === 'deploy' ? 205 : 209, 'order', o.imsi, `${o.t} ${o.oid} pid ${o.pid}`);
      await this.dispatch(o);
    });
  }

  private dispatch(o: Order): Promise<void> {
    switch (o.t) {
      case 'deploy':
        return handleDeploy(this.ctx, o);
      case 'remove':
        return handleRemove(this.ctx, o);
    }
  }

  private serial(pid: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(pid) ?? Promise.resolve();
    const next = prev.then(() => (this.stopping ? undefined : fn())).catch((e: unknown) => this.log(`order for pid ${pid} failed: ${e instanceof Error ? e.message : String(e)}`));
    this.chains.set(pid, next);
    void next.finally(() => {
      if (this.chains.get(pid) === next) this.chains.delete(pid);
    });
    return next;
  }

  /** Publish the outbox in order, marking each answer sent once the broker acknowledged it. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const client = this.client;
      if (!client || !client.connected) return;
      for (const row of this.store.unsent()) {
        if (!(await this.publishEvent(row.ev))) return;
        this.store.markSent(row.seq);
      }
    });
    return this.flushing;
  }

  private async publishEvent(ev: EdgeEvent): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    // Fail messages are bounded on the wire; a longer cause (a stderr tail) is cut, not refused.
    const out = ev.t === 'fail' && ev.msg.length > MAX_MSG ? { ...ev, msg: `${ev.msg.slice(0, MAX_MSG - 1)}…` } : ev;
    try {
      await client.publishAsync(topics.edgeEvents(this.id), Buffer.from(encodeMsg(out)), { qos: 1 });
      return true;
    } catch (e) {
      this.log(`publish ${ev.t} ${ev.oid} failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  private status(online: boolean) {
    return buildStatus({ edge: this.id, online, nowMs: this.now(), cells: this.opts.cells, cap: this.capacity, table: this.table });
  }

  private statusChanged(): void {
    const byRuntime: Record<string, number> = {};
    for (const r of this.table.all()) byRuntime[r.runtime.name] = (byRuntime[r.runtime.name] ?? 0) + 1;
    this.metricsReg.setInstances(byRuntime);
    if (!this.stopping) this.syncHolders();
    void this.publishStatus(!this.stopping);
  }

  private async publishStatus(online: boolean): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.publishAsync(topics.edgeStatus(this.id), Buffer.from(encodeMsg(this.status(online))), { qos: 1, retain: true });
    } catch (e) {
      this.log(`publish status failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private instanceExited(inst: Instance, info: ExitInfo): void {
    // Restart policy: drop it, free its resources, tell the core through the status; it is still
    // desired, so the reconciler starts it again once its backoff allows.
    const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
    this.log(`instance ${inst.id} exited unexpectedly (${how})${info.stderr ? `: ${info.stderr.slice(-300)}` : ''}`);
    this.trace(207, 'exited', undefined, `${inst.id} ${how}`);
    const r = this.table.drop(inst);
    if (!r) return;
    const delay = this.env.backoff.failed(r.key, Date.now(), Date.now() - r.startedAt);
    this.log(`instance ${r.key} restarts in ${delay} ms if still desired`);
    this.statusChanged();
    if (!this.stopping) void this.reconciler.kick();
  }

  private trace(step: Step | undefined, ev: string, imsi?: string, detail?: string): void {
    const sink = this.opts.trace;
    if (!sink) return;
    const e: Parameters<TraceSink>[0] = { at: this.now(), actor: this.actor, ev };
    if (step !== undefined) e.step = step;
    if (imsi !== undefined) e.imsi = imsi;
    if (detail !== undefined) e.detail = detail;
    try {
      sink(e);
    } catch {
      // A broken trace sink must not break order handling.
    }
  }
}
