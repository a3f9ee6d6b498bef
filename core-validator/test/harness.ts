// Test harness: a real embedded broker, a real CoreValidator on in-memory SQLite, and plain MQTT
// clients playing the device, the edges and an observer. The observer subscribes to every down
// and orders topic on ONE connection, so it sees the core's publishes in the order the core sent
// them: a marker reply observed after a rejection proves that no order came before it.
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import {
  decodeDown, decodeSign1, encodeCbor, encodeMsg, generateKeyPair, parseOrder, sign1, topics, verifySign1,
  type DownMsg, type EdgeEvent, type EdgeStatus, type Endpoint, type Order, type Template, type TraceEvent, type UpMsg,
} from '@simedge/device-sdk/wire';
import { CoreValidator, silentLogger, startEmbeddedBroker, type CoreOptions, type EmbeddedBroker } from '../src/index.js';

export const IMSI = '240011234000001';
export const ICCID = '89460112340000010';
export const CELL_A = 'cell-a1';
export const CELL_B = 'cell-b1';
const GUARD_MS = 5000;

export interface Key { kid: string; seed: Uint8Array; publicKey: Uint8Array }
export const key = (kid: string): Key => ({ kid, ...generateKeyPair() });

interface Received { topic: string; payload: Uint8Array }

/** Everything a client receives, with waiting on a predicate (bounded by a failure guard). */
export class Inbox {
  readonly all: Received[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.all.push({ topic, payload: new Uint8Array(payload) });
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async waitFor<T>(pick: (r: Received) => T | undefined, what: string, from = 0): Promise<T> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      for (const r of this.all.slice(from)) {
        const v = pick(r);
        if (v !== undefined) return v;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
  /** Down messages to `imsi`, decoded. */
  down(imsi = IMSI): DownMsg[] {
    return this.all.filter((r) => r.topic === topics.deviceDown(imsi)).map((r) => decodeDown(r.payload));
  }
  /** Orders on any edge topic (raw COSE). */
  orders(): Received[] {
    return this.all.filter((r) => /^simedge\/v1\/e\/[^/]+\/orders$/.test(r.topic));
  }
}

export const downOf = <T extends DownMsg['t']>(imsi: string, t: T, match: (m: Extract<DownMsg, { t: T }>) => boolean = () => true) =>
  (r: Received): Extract<DownMsg, { t: T }> | undefined => {
    if (r.topic !== topics.deviceDown(imsi)) return undefined;
    const m = decodeDown(r.payload);
    return m.t === t && match(m as Extract<DownMsg, { t: T }>) ? (m as Extract<DownMsg, { t: T }>) : undefined;
  };

/** A scripted edge: verifies each order with the core key; in auto mode answers like a healthy edge. */
export class TestEdge {
  readonly orders: Order[] = [];
  /** Orders whose core signature did not verify (must stay empty). */
  readonly badOrders: string[] = [];
  auto = true;
  svc: Endpoint[];
  constructor(readonly id: string, readonly client: MqttClient, readonly corePub: Uint8Array, readonly inbox: Inbox) {
    this.svc = [{ n: 'onem2m-cse', ep: `http://${id}.local:8080/cse` }];
    client.on('message', (topic, payload) => {
      if (topic !== topics.edgeOrders(id)) return;
      const cose = decodeSign1(new Uint8Array(payload));
      if (cose.kid !== 'core-1' || !verifySign1(cose, corePub)) {
        this.badOrders.push(topic);
        return;
      }
      const o = parseOrder(cose.payload);
      this.orders.push(o);
      if (!this.auto) return;
      if (o.t === 'deploy') {
        this.send({ t: 'rcvd', oid: o.oid, pid: o.pid, edge: id });
        this.send({ t: 'ready', oid: o.oid, pid: o.pid, edge: id, svc: this.svc });
      } else {
        this.send({ t: 'removed', oid: o.oid, pid: o.pid, edge: id });
      }
    });
  }
  send(ev: EdgeEvent): void {
    this.client.publish(topics.edgeEvents(this.id), Buffer.from(encodeMsg(ev)), { qos: 1 });
  }
  async status(online: boolean, cells: string[] = []): Promise<void> {
    const s: EdgeStatus = { t: 'status', edge: this.id, online, at: Date.now(), cells, cap: { cpu: 4, mem: 4096 }, used: { cpu: 0, mem: 0 }, inst: 0 };
    await this.client.publishAsync(topics.edgeStatus(this.id), Buffer.from(encodeMsg(s)), { qos: 1, retain: true });
  }
  async nextOrder<T extends Order['t']>(t: T, from = 0): Promise<Extract<Order, { t: T }>> {
    const before = () => this.orders.slice(from).find((o) => o.t === t) as Extract<Order, { t: T }> | undefined;
    return this.inbox.waitFor(() => before(), `${t} order on ${this.id}`);
  }
}

export interface World {
  broker: EmbeddedBroker;
  core: CoreValidator;
  coreKey: Key;
  mfr: Key;
  clock: { ms: number };
  device: MqttClient;
  obs: Inbox;
  edgeA: TestEdge;
  edgeB: TestEdge;
  traces: TraceEvent[];
  /** Sign a template (valid by default for the clock) with the manufacturer key or another. */
  template(over?: Partial<Template>, signer?: Key): Uint8Array;
  up(m: UpMsg, imsi?: string): void;
  /** hello -> chal; returns the nonce. */
  hello(rid: string, imsi?: string): Promise<Uint8Array>;
  /** prov -> acc or rej. */
  prov(rid: string, nonce: Uint8Array, tpl: Uint8Array, imsi?: string): Promise<DownMsg>;
  /** hello + prov with a fresh nonce. */
  provision(rid: string, tpl?: Uint8Array, imsi?: string): Promise<DownMsg>;
  /** Round-trip a marker hello: everything the core sent before handling it is now observed. */
  marker(): Promise<void>;
  waitTrace(ev: string, detail?: string): Promise<TraceEvent>;
  close(): Promise<void>;
}

let markers = 0;

export async function startWorld(opts: Partial<CoreOptions> = {}): Promise<World> {
  const broker = await startEmbeddedBroker();
  const coreKey = key('core-1');
  const mfr = key('acme-2026');
  const clock = { ms: Date.UTC(2026, 0, 15) };
  const traces: TraceEvent[] = [];
  let traceWaiters: (() => void)[] = [];
  const core = new CoreValidator({
    brokerUrl: broker.url, coreKey: { kid: coreKey.kid, seed: coreKey.seed }, now: () => clock.ms, log: silentLogger,
    trace: (e) => { traces.push(e); for (const w of traceWaiters.splice(0)) w(); },
    // No order re-sends unless a test asks for them (`retry`): the default first re-send after
    // 0.5-1 s of real time would add copies to the counts of a test on a slow machine.
    retry: { baseMs: 60_000, maxMs: 60_000 },
    ...opts,
  });
  await core.store.addTrustKey({ kid: mfr.kid, publicKey: mfr.publicKey, mfr: 'acme' });
  await core.store.addSubscriber({ imsi: IMSI, iccid: ICCID });
  await core.store.setCellEdge(CELL_A, 'edge-a');
  await core.store.setCellEdge(CELL_B, 'edge-b');
  await core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: CELL_A, at: clock.ms });

  const obsClient = await connectMqtt(broker.url, { clientId: 'test-observer' });
  await obsClient.subscribeAsync(['simedge/v1/d/+/down', 'simedge/v1/e/+/orders'], { qos: 1 });
  const obs = new Inbox(obsClient);
  const device = await connectMqtt(broker.url, { clientId: 'test-device' });
  const mkEdge = async (id: string) => {
    const c = await connectMqtt(broker.url, { clientId: `test-${id}` });
    await c.subscribeAsync(topics.edgeOrders(id), { qos: 1 });
    return new TestEdge(id, c, coreKey.publicKey, new Inbox(c));
  };
  const edgeA = await mkEdge('edge-a');
  const edgeB = await mkEdge('edge-b');
  await edgeA.status(true);
  await edgeB.status(true);

  const waitTrace = async (ev: string, detail?: string): Promise<TraceEvent> => {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const hit = traces.find((t) => t.ev === ev && (detail === undefined || t.detail === detail));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for trace ${ev} ${detail ?? ''}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        traceWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  };

  await core.start();
  // Retained statuses arrive after the subscription; place nothing before the core has them.
  await waitTrace('edge-status', 'edge-a online');
  await waitTrace('edge-status', 'edge-b online');

  const up = (m: UpMsg, imsi = IMSI) => { device.publish(topics.deviceUp(imsi), Buffer.from(encodeMsg(m)), { qos: 1 }); };
  const hello = async (rid: string, imsi = IMSI) => {
    const from = obs.all.length;
    up({ t: 'hello', rid, imsi, iccid: ICCID, plmn: '24001', cell: CELL_A, why: 'on' }, imsi);
    return (await obs.waitFor(downOf(imsi, 'chal', (m) => m.rid === rid), `chal ${rid}`, from)).nonce;
  };
  const prov = async (rid: string, nonce: Uint8Array, tpl: Uint8Array, imsi = IMSI) => {
    const from = obs.all.length;
    up({ t: 'prov', rid, imsi, nonce, tpl }, imsi);
    return obs.waitFor((r) => {
      const m = downOf(imsi, 'acc', (x) => x.rid === rid)(r) ?? downOf(imsi, 'rej', (x) => x.rid === rid)(r);
      return m;
    }, `acc/rej ${rid}`, from);
  };
  const template = (over: Partial<Template> = {}, signer: Key = mfr) => {
    const s = Math.floor(clock.ms / 1000);
    const t: Template = {
      v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: s - 60, exp: s + 86400,
      svc: [{ n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret'], share: 'class', res: { cpu: 0.1, mem: 32 } }],
      ...over,
    };
    return sign1(encodeCbor(t), signer.kid, signer.seed);
  };

  return {
    broker, core, coreKey, mfr, clock, device, obs, edgeA, edgeB, traces, template, up, hello, prov, waitTrace,
    provision: async (rid, tpl = template(), imsi = IMSI) => prov(rid, await hello(`${rid}-h`, imsi), tpl, imsi),
    marker: async () => { await hello(`marker-${++markers}`); },
    async close() {
      await core.stop();
      traceWaiters = [];
      for (const c of [obsClient, device, edgeA.client, edgeB.client]) await endMqtt(c, true);
      await broker.close();
    },
  };
}

/** The flow tests' afterEach: stop everything, then fail if an edge saw an order whose
 *  signature or shape it refused (the world is closed either way). */
export async function closeChecked(w: World | undefined): Promise<void> {
  if (!w) return;
  const bad = [...w.edgeA.badOrders, ...w.edgeB.badOrders];
  await w.close();
  if (bad.length > 0) throw new Error(`the test edges refused orders: ${JSON.stringify(bad)}`);
}
