// CoreValidator: wires the MQTT client, the store, the edge table and the handlers together.
// The network intake (attach/detach) is a method call, made by the network simulator or by the
// RADIUS accounting server that start() runs with the `radius` option.
import { isImsi, privateKeyObject, SimedgeError, topics, type AttachEvent, type DetachEvent, type Step, type TraceSink } from '@simedge/device-sdk/wire';
import { connectMqtt, endMqtt, type MqttClient, type MqttTls } from '@simedge/device-sdk/node';
import { randomBytes } from 'node:crypto';
import { withPeerOf, type AttestationPolicy } from './attest/context.js';
import type { PeerLog } from './attest/peers.js';
import type { Ctx, CoreSettings } from './context.js';
import { Deadlines } from './deadlines.js';
import { dispatch } from './dispatch.js';
import { EdgeTable } from './edges.js';
import { onDeadline, remove, resume, teardown } from './lifecycle.js';
import { retrySettings, type RetrySettings } from './backoff.js';
import { chargingCsv } from './charging.js';
import { onAttach, onExpiry } from './expiry.js';
import { makePolicy, type PolicyOptions } from './policy.js';
import { onRetry } from './retry.js';
import { DEFAULT_RETENTION_SEC, Retention } from './retention.js';
import { heartbeat, LeaseKeeper } from './cluster.js';
import { jsonLogger, type Logger } from './log.js';
import { CoreMetrics } from './metrics.js';
import { endNasSessions } from './radius/intake.js';
import { startRadiusAccounting, type NasResetEvent, type RadiusAccounting, type RadiusSession } from './radius/server.js';
import { openStore } from './store/open.js';
import { SqliteStore } from './store/sqlite.js';
import { ACTIVE_STATES, type AttachRecord, type CoreStore, type SubscriberStatus } from './store/types.js';
import { Serial } from './serial.js';

export interface CoreOptions {
  brokerUrl: string;
  /** Mutual TLS to an `mqtts://` broker (DESIGN.md Trust): the operator CA and this core's
   *  certificate and key (role core), all PEM. */
  tls?: MqttTls;
  /** Ed25519, signs orders. */
  coreKey: { kid: string; seed: Uint8Array };
  /** SQLite file; default ':memory:'. A file uses WAL. Ignored when `store` or `database` is given. */
  dbPath?: string;
  /** Where the state lives: `sqlite::memory:`, `sqlite:/path/core.db` or `postgres://…` (store/open.ts). Ignored when `store` is given. */
  database?: string;
  /** Any CoreStore (e.g. `openStore(url)` shared with an admin tool); the core closes it on stop(). */
  store?: CoreStore;
  /** Send through this instead of the MQTT client (embedding, the throughput benchmark); inbound
   *  messages then come in through `handle()`. */
  publish?: (topic: string, payload: Uint8Array) => void;
  trace?: TraceSink;
  /** ms clock, injectable for expiry tests. */
  now?: () => number;
  /** Operation deadline (default 15000 ms). */
  opTimeoutMs?: number;
  /** Challenge nonce lifetime (default 60 s). */
  nonceTtlSec?: number;
  /** Order expiry (default 60 s). */
  orderTtlSec?: number;
  /** How long answered requests and finished provisions' orders are kept (default 7 days; retention.ts). */
  retentionSec?: number;
  /** Structured log sink; default JSON lines on stderr at level warn and above. */
  log?: Logger;
  /** Proof requirement, service catalog, default plan, lease and roaming grace (policy.ts). */
  policy?: PolicyOptions;
  /** Deploy-order re-send backoff while the edge has not said rcvd (default 1 s doubling to 8 s, jittered). */
  retry?: Partial<RetrySettings>;
  /** RADIUS accounting intake [RFC2866]: start() listens (UDP, 127.0.0.1, ephemeral port by default) and feeds attach()/detach(). */
  radius?: { secret: string; port?: number; host?: string };
  /** 'network': a `prov` must be published from the framed IP of the IMSI's session, else NOT_ATTESTED. Default 'off'. */
  attestation?: AttestationPolicy;
  /** Broker peer records for 'network' attestation: `recordPeers(broker.aedes)`. */
  brokerPeers?: PeerLog;
  /** Scale-out (README "Scale-out"): several cores on one PostgreSQL behind an MQTT v5 broker with
   *  shared subscriptions. `true` = group 'core', or the group name. The core then connects with
   *  MQTT 5, subscribes `$share/<group>/…/d/+/up` and `$share/<group>/…/e/+/events` (each message to
   *  one core), keeps the retained `status` unshared (every core needs the edge table), and holds a
   *  liveness lease so a crashed core's provisions are adopted by another. */
  shared?: boolean | string;
  /** Liveness lease of a shared core (default 10000 ms): renewed every third of it; a crashed
   *  core's provisions and request claims are taken over once it lapses. */
  leaseMs?: number;
}

export class CoreValidator {
  readonly store: CoreStore;
  readonly edges = new EdgeTable();
  private readonly ctx: Ctx;
  private readonly opts: CoreOptions;
  private client: MqttClient | undefined;
  private radiusServer: RadiusAccounting | undefined;
  /** Prometheus registry of this core (metrics.ts), fed by the trace events. */
  private readonly meter: CoreMetrics;
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  /** Every state change runs here, one at a time (serial.ts). */
  private readonly serial = new Serial(() => this.checkIdle());
  /** The shared-subscription group, when several cores split the work. */
  private readonly group: string | undefined;
  private readonly leases: LeaseKeeper | undefined;
  /** Deletes answered requests and finished provisions' orders by age (retention.ts). */
  private readonly retention: Retention;
  /** MQTT client id and owner id in the store. */
  readonly id = `core-${randomBytes(6).toString('hex')}`;

  constructor(opts: CoreOptions) {
    if (typeof opts.brokerUrl !== 'string') throw new TypeError('CoreOptions.brokerUrl must be a URL');
    const cfg: CoreSettings = {
      coreKid: opts.coreKey.kid,
      coreKey: privateKeyObject(opts.coreKey.seed),
      opTimeoutMs: positive(opts.opTimeoutMs ?? 15_000, 'opTimeoutMs'),
      nonceTtlSec: positive(opts.nonceTtlSec ?? 60, 'nonceTtlSec'),
      orderTtlSec: positive(opts.orderTtlSec ?? 60, 'orderTtlSec'),
      policy: makePolicy(opts.policy),
      retry: retrySettings(opts.retry),
    };
    if (opts.attestation === 'network' && !opts.brokerPeers) throw new TypeError("CoreOptions.attestation 'network' needs brokerPeers (recordPeers on the broker)");
    this.opts = opts;
    if (opts.shared !== undefined && typeof opts.shared !== 'boolean' && (typeof opts.shared !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(opts.shared))) {
      throw new TypeError('CoreOptions.shared must be a boolean or a group name (letters, digits, _ and -)');
    }
    this.group = opts.shared === true ? 'core' : typeof opts.shared === 'string' ? opts.shared : undefined;
    const leaseMs = positive(opts.leaseMs ?? 10_000, 'leaseMs');
    this.store = opts.store ?? (opts.database !== undefined ? openStore(opts.database) : new SqliteStore(opts.dbPath ?? ':memory:'));
    const now = opts.now ?? Date.now;
    const log = opts.log ?? jsonLogger('warn');
    const sink = opts.trace;
    const meter = new CoreMetrics({ store: this.store, edges: this.edges, radius: () => this.radiusServer?.stats });
    this.meter = meter;
    this.ctx = {
      coreId: this.id,
      cluster: this.group !== undefined,
      store: this.store,
      edges: this.edges,
      cfg,
      log,
      now,
      // Queued synchronously when the timer fires, so idle() counts the work before the timer is gone.
      deadlines: new Deadlines(now, (pid) => this.background('deadline', () => onDeadline(this.ctx, pid)), () => this.checkIdle()),
      retries: new Deadlines(now, (pid) => this.background('retry', () => onRetry(this.ctx, pid))),
      expiries: new Deadlines(now, (pid) => this.background('expiry', () => onExpiry(this.ctx, pid))),
      trace(step: Step | undefined, ev: string, imsi?: string, detail?: string) {
        meter.onTrace(step, ev, imsi, detail);
        if (!sink) return;
        try {
          sink({ at: now(), actor: 'core', ev, ...(step !== undefined && { step }), ...(imsi !== undefined && { imsi }), ...(detail !== undefined && { detail }) });
        } catch {
          // A broken trace sink must not break the flow.
        }
      },
      publish: (topic, payload, sent) => this.publish(topic, payload, sent),
      queue: (what, task) => this.background(what, task),
    };
    if (this.group !== undefined) this.leases = new LeaseKeeper(this.ctx, leaseMs, (task) => this.background('lease', task));
    this.retention = new Retention({ store: this.store, now, log, retentionMs: positive(opts.retentionSec ?? DEFAULT_RETENTION_SEC, 'retentionSec') * 1000 });
  }

  /** Device requests and edge events go to one core of the group; statuses to every core: they
   *  are retained, and a retained message is not sent to a new shared subscription [MQTT5 §4.8.2]. */
  private subscriptions(): string[] {
    const g = this.group;
    if (g === undefined) return [topics.allDeviceUp, topics.allEdgeEvents, topics.allEdgeStatus];
    return [`$share/${g}/${topics.allDeviceUp}`, `$share/${g}/${topics.allEdgeEvents}`, topics.allEdgeStatus];
  }

  async start(): Promise<void> {
    if (this.client) return;
    // Our lease first: a claim this core makes must never look like a dead core's.
    await this.leases?.start();
    // Shared subscriptions are MQTT 5 [MQTT5 §4.8.2].
    let client: MqttClient;
    try {
      client = await connectMqtt(this.opts.brokerUrl, { clientId: this.id, ...this.opts.tls, ...(this.group !== undefined && { protocolVersion: 5 as const }) });
    } catch (e) {
      // An MQTT 3.1.1 broker (the embedded aedes one among them) answers CONNACK 1 "unacceptable
      // protocol version" [MQTT-3.2.2-5]: say what to change rather than pass that on.
      if (this.group !== undefined && /protocol version/i.test(e instanceof Error ? e.message : '')) {
        await this.leases?.stop(true);
        throw new SimedgeError('BROKER_NO_MQTT5', `${this.opts.brokerUrl}: use an MQTT 5 broker (Mosquitto 2, EMQX, HiveMQ, VerneMQ) or run without shared`);
      }
      throw e;
    }
    this.client = client;
    client.on('message', (topic, payload) => {
      void this.handle(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
    });
    client.on('error', (e) => this.ctx.log('error', 'mqtt error', { err: e.message }));
    await client.subscribeAsync(this.subscriptions(), { qos: 1 });
    // Operations left by a previous run (file store) get their deadlines, retries and leases back;
    // shared, only those of cores whose lease lapsed (cluster.ts).
    const leases = this.leases;
    await this.serial.run(async () => { if (leases) await heartbeat(this.ctx, leases.leaseMs); else await resume(this.ctx); });
    if (this.opts.radius) {
      this.radiusServer = await startRadiusAccounting({
        ...this.opts.radius, log: this.ctx.log, now: this.ctx.now,
        onAttach: (ev, session) => this.attach(ev, session), onDetach: (ev) => this.detach(ev), onNasReset: (ev) => this.nasReset(ev),
      });
    }
    await this.retention.start();
    this.ctx.log('info', 'core validator started', { broker: this.opts.brokerUrl });
  }

  /** The RADIUS accounting server's UDP port while started with the `radius` option. */
  get radiusPort(): number | undefined {
    return this.radiusServer?.port;
  }

  async stop(): Promise<void> {
    await this.retention.stop();
    await this.radiusServer?.close();
    this.radiusServer = undefined;
    const client = this.client;
    if (client) {
      try {
        await client.unsubscribeAsync(this.subscriptions());
      } catch {
        // Already disconnected: nothing to unsubscribe from.
      }
    }
    // Handlers already queued finish (and publish) before the client and the store go away.
    await this.serial.drain();
    this.client = undefined;
    this.clearTimers();
    if (client) await endMqtt(client);
    await this.leases?.stop(false);
    await this.serial.drain(); // a timer that fired meanwhile
    this.clearTimers();
    // Hand our provisions over now rather than after the lease runs out.
    await this.leases?.stop(true);
    await this.store.close();
    this.pending = 0;
    this.checkIdle();
  }

  private clearTimers(): void {
    this.ctx.deadlines.clearAll();
    this.ctx.retries.clearAll();
    this.ctx.expiries.clearAll();
  }

  /** One inbound message, as the MQTT client delivers it: queued behind everything before it,
   *  then decoded, checked and handled (dispatch.ts). Never rejects. */
  handle(topic: string, payload: Uint8Array): Promise<void> {
    const peers = this.opts.attestation === 'network' ? this.opts.brokerPeers : undefined;
    return this.serial.run(() => (peers ? withPeerOf(peers, topic, payload, () => dispatch(this.ctx, topic, payload)) : dispatch(this.ctx, topic, payload)));
  }

  /** Network intake [step 201]: the IMSI is attached with this IP, PLMN, cell and (when the
   *  network reports it) TAI, both placement keys. Queued at once, so messages arriving after the
   *  call see the attach record. Resolves when recorded; never rejects (event emitters call it
   *  without awaiting): a store failure is logged. `session`: the RADIUS session that reported
   *  it, recorded with it so that its NAS's Accounting-On/Off ends it (nasReset). */
  attach(ev: AttachEvent, session?: RadiusSession): Promise<void> {
    if (!isImsi(ev.imsi)) throw new TypeError(`attach: not an IMSI: ${String(ev.imsi)}`);
    const rec: AttachRecord = { imsi: ev.imsi, ip: ev.ip, plmn: ev.plmn, cell: ev.cell, at: Math.floor(ev.at) };
    if (ev.tai !== undefined) rec.tai = ev.tai;
    if (session) { rec.nas = session.nas; rec.session = session.id; }
    return this.intake('attach', async () => {
      await this.store.upsertAttach(rec);
      await onAttach(this.ctx, rec); // roaming grace
      this.ctx.log('info', 'attach', { imsi: ev.imsi, ip: ev.ip, plmn: ev.plmn, cell: ev.cell, tai: ev.tai });
    });
  }

  /** Network intake [step 208]: the IMSI detached; its provisions are torn down (term why 'detach').
   *  Queued and never rejecting, like attach(). */
  detach(ev: DetachEvent): Promise<void> {
    if (!isImsi(ev.imsi)) throw new TypeError(`detach: not an IMSI: ${String(ev.imsi)}`);
    return this.intake('detach', async () => {
      const rec = await this.store.attachOf(ev.imsi);
      // A late Accounting-Stop for an older session must not end the current one.
      if (rec && ev.at < rec.at) {
        this.ctx.log('info', 'stale detach ignored', { imsi: ev.imsi, at: ev.at, attachAt: rec.at });
        return;
      }
      await this.store.deleteAttach(ev.imsi);
      this.ctx.trace(208, 'detach', ev.imsi);
      const n = await teardown(this.ctx, ev.imsi, 'detach');
      this.ctx.log('info', 'detach', { imsi: ev.imsi, removing: n });
    });
  }

  /** Network intake [step 208, RFC2866 §5.1]: NAS `ev.nas` sent Accounting-On/Off, so every
   *  attach it reported up to `ev.at` ends like a detach, whichever core recorded it
   *  (radius/intake.ts). Queued and never rejecting, like attach(). */
  nasReset(ev: NasResetEvent): Promise<void> {
    return this.intake('nas-reset', async () => { await endNasSessions(this.ctx, ev); });
  }

  /** Operator: set a subscription's registry status. Suspending it also tears its active
   *  provisions down (`term {why: 'suspended'}`): a suspended subscription provisions nothing and
   *  holds no edge resources. Re-activating changes only the status. Rejects on an unknown IMSI
   *  (ADMIN_NOT_FOUND is the admin API's answer) or a store failure. */
  setSubscriberStatus(imsi: string, status: SubscriberStatus): Promise<{ removing: number }> {
    if (!isImsi(imsi)) throw new TypeError(`setSubscriberStatus: not an IMSI: ${String(imsi)}`);
    return this.serial.run(async () => {
      if (!await this.store.subscriber(imsi)) throw new SimedgeError('ADMIN_NOT_FOUND', `SIM ${imsi}`);
      await this.store.setSubscriberStatus(imsi, status);
      const removing = status === 'suspended' ? await teardown(this.ctx, imsi, 'suspended') : 0;
      this.ctx.log('info', 'subscriber status', { imsi, status, removing });
      return { removing };
    });
  }

  /** Operator: revoke a manufacturer key (final). Templates it signed are refused from now on
   *  (KEY_NOT_VALID), and the active provisions deployed with them are torn down (`term {why:
   *  'revoked'}`): a compromised key must not keep services running. Provisions recorded before
   *  the core stored the signing kid are not found this way. Rejects ADMIN_NOT_FOUND for an unknown kid. */
  revokeKey(kid: string): Promise<{ removing: number }> {
    return this.serial.run(async () => {
      const k = await this.store.trustKey(kid);
      if (!k) throw new SimedgeError('ADMIN_NOT_FOUND', `key ${kid}`);
      if (!k.revoked) await this.store.addTrustKey({ ...k, revoked: true });
      let removing = 0;
      for (const p of await this.store.provisions({ kid })) if (ACTIVE_STATES.includes(p.state) && await remove(this.ctx, p, 'revoked')) removing++;
      this.ctx.log('info', 'key revoked', { kid, removing });
      return { removing };
    });
  }

  /** Prometheus text exposition of this core's metrics (requests, validation latency, provisions, edges, RADIUS). */
  metrics(): Promise<string> {
    return this.meter.text();
  }

  /** Charging records overlapping [from, to) (ms since the epoch) as CSV [RFC4180]. */
  chargingCsv(from?: number, to?: number): Promise<string> {
    return chargingCsv(this.store, from, to);
  }

  /** Resolves when no operation is in flight (no deadline armed, no publish outstanding). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.pending === 0 && this.serial.size === 0 && this.ctx.deadlines.size === 0;
  }

  /** Timer work: queued like a message; a failure is logged (nobody awaits a timer). */
  private background(what: string, task: () => Promise<void>): void {
    void this.intake(what, task);
  }

  /** Queue `task`; a failure (a store error) is logged and the promise still resolves. */
  private intake(what: string, task: () => Promise<void>): Promise<void> {
    return this.serial.run(task).catch((e: unknown) => this.ctx.log('error', `${what} handler failed`, { err: e instanceof Error ? e.message : String(e) }));
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private publish(topic: string, payload: Uint8Array, sent?: () => void): void {
    if (this.opts.publish) {
      try {
        this.opts.publish(topic, payload);
        sent?.();
      } catch (e) {
        this.ctx.log('error', 'publish failed', { topic, err: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    const client = this.client;
    if (!client) {
      this.ctx.log('error', 'publish while not started', { topic });
      return;
    }
    this.pending++;
    client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: 1 })
      .then(() => sent?.())
      .catch((e: unknown) => this.ctx.log('error', 'publish failed', { topic, err: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.pending = Math.max(0, this.pending - 1);
        this.checkIdle();
      });
  }
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`CoreOptions.${name} must be a positive number`);
  return v;
}
