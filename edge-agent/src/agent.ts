// The edge agent: a thin shell around MQTT. It verifies every order (verify.ts), answers
// redeliveries from the journal, serialises orders per provisioning id and dispatches each order
// type to its handler (handlers/). Runtimes do the process work; the status is republished
// (retained) whenever the instance table changes, and the last will marks the edge offline.
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { encodeMsg, isEdgeId, topics, type EdgeEvent, type Order, type Step, type TraceSink } from '@simedge/device-sdk/wire';
import type { EdgeContext } from './context.js';
import { handleDeploy } from './handlers/deploy.js';
import { handleRemove } from './handlers/remove.js';
import { InstanceTable } from './instances.js';
import { OrderJournal } from './journal.js';
import { stderrLog, type Log } from './log.js';
import { ProcessRuntime } from './runtime/process.js';
import type { ExitInfo, Instance, Runtime } from './runtime/types.js';
import { buildStatus } from './status.js';
import { checkOrder, coreKeyMap, type CoreKeys } from './verify.js';

export interface EdgeOptions {
  /** Edge id, e.g. 'edge-a'. */
  id: string;
  brokerUrl: string;
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
  private readonly journal = new OrderJournal();
  private readonly table = new InstanceTable();
  private readonly runtimes: Record<string, Runtime>;
  /** Per provisioning id, the tail of its order chain: orders for one pid run one at a time. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly ctx: EdgeContext;
  private client: MqttClient | undefined;
  private stopping = false;

  constructor(opts: EdgeOptions) {
    if (!isEdgeId(opts.id)) throw new TypeError(`EdgeAgent: not an edge id: ${String(opts.id)}`);
    if (!Array.isArray(opts.cells)) throw new TypeError('EdgeAgent: cells must be a list');
    this.opts = opts;
    this.id = opts.id;
    this.actor = `edge:${opts.id}`;
    this.keys = coreKeyMap(opts.coreKeys);
    this.capacity = { ...(opts.capacity ?? { cpu: 2, mem: 1024 }) };
    this.now = opts.now ?? Date.now;
    this.log = stderrLog(this.actor);
    const proc = new ProcessRuntime(opts.host !== undefined ? { host: opts.host } : {});
    proc.onExit = (inst, info) => this.instanceExited(inst, info);
    this.runtimes = { [proc.name]: proc };
    this.ctx = {
      id: this.id,
      capacity: this.capacity,
      runtimes: this.runtimes,
      instances: this.table,
      emit: (ev) => this.emit(ev),
      trace: (step, ev, imsi, detail) => this.trace(step, ev, imsi, detail),
      statusChanged: () => this.publishStatus(true),
      stopping: () => this.stopping,
      log: this.log,
    };
  }

  async start(): Promise<void> {
    if (this.client) throw new Error('EdgeAgent: already started');
    const statusTopic = topics.edgeStatus(this.id);
    const will = { topic: statusTopic, payload: Buffer.from(encodeMsg(this.status(false))), qos: 1 as const, retain: true };
    // clean session: orders that arrive while the edge is away are not queued for it; the core's
    // operation deadline covers them (a persistent session could deliver before our handler exists).
    const client = await connectMqtt(this.opts.brokerUrl, { clientId: `simedge-edge-${this.id}-${process.pid}`, clean: true, will });
    this.client = client;
    client.on('message', (topic, payload) => {
      if (topic !== topics.edgeOrders(this.id) || this.stopping) return;
      this.onOrder(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)).catch((e: unknown) => this.log(`order handling failed: ${String(e)}`));
    });
    // After a reconnect the broker has published our will: say we are back.
    client.on('connect', () => this.publishStatus(true));
    client.on('error', (e) => this.log(`mqtt: ${e.message}`));
    await client.subscribeAsync(topics.edgeOrders(this.id), { qos: 1 });
    await this.publishStatus(true);
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client || this.stopping) return;
    this.stopping = true;
    // Kill everything first (also instances still starting), so in-flight deploys end quickly.
    await Promise.all(Object.values(this.runtimes).map((r) => r.close()));
    await Promise.allSettled([...this.chains.values()]);
    this.table.clear();
    await this.publishStatus(false);
    await endMqtt(client);
    this.client = undefined;
  }

  instances(): Array<{ pid: string; service: string; endpoint: string; osPid?: number }> {
    return this.table.all().map(({ inst }) => {
      const v: { pid: string; service: string; endpoint: string; osPid?: number } = { pid: inst.pid, service: inst.service, endpoint: inst.endpoint };
      if (inst.osPid !== undefined) v.osPid = inst.osPid;
      return v;
    });
  }

  /** [FIG. 2 step 205] One order off the wire: verify, then dedupe, then dispatch. */
  private async onOrder(bytes: Uint8Array): Promise<void> {
    const nowMs = this.now();
    const v = checkOrder(bytes, this.keys, this.id, nowMs);
    if (v.kind === 'drop') {
      this.log(`order dropped: ${v.why}`);
      this.trace(205, 'order-dropped', undefined, v.why);
      return;
    }
    const o = v.order;
    if (v.kind === 'invalid') {
      this.log(`order ${o.oid} refused: ${v.why}`);
      this.trace(205, 'order-invalid', o.imsi, `ORDER_INVALID ${v.why}`);
      await this.publishEvent({ t: 'fail', oid: o.oid, pid: o.pid, edge: this.id, code: 'ORDER_INVALID', msg: v.why });
      return;
    }
    this.journal.prune(nowMs);
    const prior = this.journal.get(o.oid);
    if (prior) {
      // A redelivery (our ack may have been lost): say again what we said, do nothing again.
      this.trace(205, 'order-replay', o.imsi, `${o.t} ${o.oid}: re-sent ${prior.length} event(s)`);
      for (const ev of prior) await this.publishEvent(ev);
      return;
    }
    this.journal.begin(o.oid, o.exp);
    this.trace(205, 'order', o.imsi, `${o.t} ${o.oid} pid ${o.pid}`);
    await this.serial(o.pid, () => this.dispatch(o));
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
    const next = prev.then(fn).catch((e: unknown) => this.log(`order for pid ${pid} failed: ${e instanceof Error ? e.message : String(e)}`));
    this.chains.set(pid, next);
    void next.finally(() => {
      if (this.chains.get(pid) === next) this.chains.delete(pid);
    });
    return next;
  }

  private async emit(ev: EdgeEvent): Promise<void> {
    this.journal.record(ev.oid, ev);
    await this.publishEvent(ev);
  }

  private async publishEvent(ev: EdgeEvent): Promise<void> {
    const client = this.client;
    if (!client) return;
    // Fail messages are bounded on the wire; a longer cause (a stderr tail) is cut, not refused.
    const out = ev.t === 'fail' && ev.msg.length > MAX_MSG ? { ...ev, msg: `${ev.msg.slice(0, MAX_MSG - 1)}…` } : ev;
    try {
      await client.publishAsync(topics.edgeEvents(this.id), Buffer.from(encodeMsg(out)), { qos: 1 });
    } catch (e) {
      this.log(`publish ${ev.t} ${ev.oid} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private status(online: boolean) {
    return buildStatus({ edge: this.id, online, nowMs: this.now(), cells: this.opts.cells, cap: this.capacity, table: this.table });
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
    // No restart policy yet: record it, free its resources, tell the core through the status.
    const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
    this.log(`instance ${inst.id} exited unexpectedly (${how})${info.stderr ? `: ${info.stderr.slice(-300)}` : ''}`);
    this.trace(207, 'exited', undefined, `${inst.id} ${how}`);
    if (this.table.drop(inst)) void this.publishStatus(true);
  }

  private trace(step: Step, ev: string, imsi?: string, detail?: string): void {
    const sink = this.opts.trace;
    if (!sink) return;
    const e: Parameters<TraceSink>[0] = { at: this.now(), step, actor: this.actor, ev };
    if (imsi !== undefined) e.imsi = imsi;
    if (detail !== undefined) e.detail = detail;
    try {
      sink(e);
    } catch {
      // A broken trace sink must not break order handling.
    }
  }
}
