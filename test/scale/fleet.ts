// The other side of the scale-out test, as lightweight MQTT clients: test edges that verify each
// order with the core key and answer it like a healthy edge agent (rcvd + ready, removed; a copy of
// an order it already has gets the same answer again, as the edge agent's replay protection does),
// and devices, one MQTT connection per IMSI (the broker ACL model gives each device its own
// identity, so connections are not multiplexed), which retry a request with the same rid when no
// answer comes in time, as the device SDK does. Starting a thousand edge fn hosts or device
// processes is not what is measured here; the cores are the real processes under test.
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import {
  decodeDown, decodeSign1, encodeMsg, parseOrder, topics, verifySign1,
  type DownMsg, type EdgeEvent, type EdgeStatus, type UpMsg,
} from '@simedge/device-sdk/wire';

export class ScaleEdge {
  /** Deploy oids seen per pid (a retry repeats the oid; a second deployment would add one). */
  readonly deploys = new Map<string, Set<string>>();
  readonly removes = new Map<string, Set<string>>();
  /** Orders whose core signature did not verify (must stay empty). */
  readonly badOrders: string[] = [];
  deliveries = 0;
  private onDeploy: ((n: number) => void) | undefined;

  private constructor(readonly id: string, readonly client: MqttClient, private readonly corePub: Uint8Array) {
    client.on('message', (topic, payload) => this.onOrder(topic, new Uint8Array(payload)));
  }

  static async start(url: string, id: string, corePub: Uint8Array, cells: string[]): Promise<ScaleEdge> {
    const client = await connectMqtt(url, { clientId: `edge-${id}`, reconnectPeriod: 0 });
    const e = new ScaleEdge(id, client, corePub);
    await client.subscribeAsync(topics.edgeOrders(id), { qos: 1 });
    const s: EdgeStatus = { t: 'status', edge: id, online: true, at: Date.now(), cells, cap: { cpu: 1000, mem: 1 << 20 }, used: { cpu: 0, mem: 0 }, inst: 0 };
    await client.publishAsync(topics.edgeStatus(id), Buffer.from(encodeMsg(s)), { qos: 1, retain: true });
    return e;
  }

  /** Called with the number of distinct deployments after each new one. */
  watchDeploys(f: (n: number) => void): void {
    this.onDeploy = f;
  }

  private onOrder(topic: string, payload: Uint8Array): void {
    if (topic !== topics.edgeOrders(this.id)) return;
    this.deliveries++;
    const cose = decodeSign1(payload);
    if (!verifySign1(cose, this.corePub)) {
      this.badOrders.push(topic);
      return;
    }
    const o = parseOrder(cose.payload);
    const book = o.t === 'deploy' ? this.deploys : this.removes;
    const oids = book.get(o.pid) ?? new Set<string>();
    const fresh = !oids.has(o.oid);
    oids.add(o.oid);
    book.set(o.pid, oids);
    if (o.t === 'deploy') {
      this.send({ t: 'rcvd', oid: o.oid, pid: o.pid, edge: this.id });
      this.send({ t: 'ready', oid: o.oid, pid: o.pid, edge: this.id, svc: [{ n: 'onem2m-cse', ep: `http://${this.id}.local/cse/${o.pid}` }] });
      if (fresh) this.onDeploy?.(this.deploys.size);
    } else {
      this.send({ t: 'removed', oid: o.oid, pid: o.pid, edge: this.id });
    }
  }

  private send(ev: EdgeEvent): void {
    this.client.publish(topics.edgeEvents(this.id), Buffer.from(encodeMsg(ev)), { qos: 1 });
  }

  close(): Promise<void> {
    return endMqtt(this.client, true);
  }
}

type Down<T extends DownMsg['t']> = Extract<DownMsg, { t: T }>;

export class ScaleDevice {
  /** Every down message, raw, in arrival order. */
  readonly received: Uint8Array[] = [];
  /** Requests published (first sends and retries). */
  sends = 0;
  retries = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly imsi: string, readonly client: MqttClient) {
    client.on('message', (_topic, payload) => {
      this.received.push(new Uint8Array(payload));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(url: string, imsi: string): Promise<ScaleDevice> {
    const client = await connectMqtt(url, { clientId: imsi, reconnectPeriod: 0, keepalive: 60 });
    const d = new ScaleDevice(imsi, client);
    await client.subscribeAsync(topics.deviceDown(imsi), { qos: 1 });
    return d;
  }

  /** Decoded down messages of type `t`. */
  all<T extends DownMsg['t']>(t: T): Down<T>[] {
    return this.received.map((b) => decodeDown(b)).filter((m): m is Down<T> => m.t === t);
  }

  /** Distinct payloads of the answers to `rid` (copies of one answer count once). */
  answersTo(rid: string): string[] {
    const seen = new Set<string>();
    for (const b of this.received) {
      const m = decodeDown(b);
      if ('rid' in m && m.rid === rid) seen.add(Buffer.from(b).toString('hex'));
    }
    return [...seen];
  }

  /** The first down message matching `pick`, or undefined after `ms` (a retry timer, not a sleep). */
  private wait<T>(pick: (m: DownMsg) => T | undefined, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const check = (): boolean => {
        for (const b of this.received) {
          const v = pick(decodeDown(b));
          if (v !== undefined) {
            clearTimeout(timer);
            done = true;
            resolve(v);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => { done = true; resolve(undefined); }, ms);
      const loop = (): void => { if (!done && !check()) this.waiters.push(loop); };
      loop();
    });
  }

  /** Publish `m` and wait for its answer, re-publishing it (same rid) after `retryMs`, doubling up
   *  to 4x (a loaded core is not flooded with copies), at most `tries` times. */
  async request<T>(m: UpMsg, pick: (d: DownMsg) => T | undefined, retryMs: number, tries: number): Promise<T> {
    for (let i = 0; i < tries; i++) {
      this.sends++;
      if (i > 0) this.retries++;
      this.client.publish(topics.deviceUp(this.imsi), Buffer.from(encodeMsg(m)), { qos: 1 });
      const got = await this.wait(pick, retryMs * 2 ** Math.min(i, 2));
      if (got !== undefined) return got;
    }
    throw new Error(`${this.imsi}: no answer to ${m.t} ${m.rid} after ${tries} tries`);
  }

  /** A notification (ready, term) that no request of ours repeats: wait for it, bounded. */
  async notice<T>(pick: (d: DownMsg) => T | undefined, guardMs: number, what: string): Promise<T> {
    const got = await this.wait(pick, guardMs);
    if (got === undefined) throw new Error(`${this.imsi}: no ${what} within ${guardMs} ms`);
    return got;
  }

  close(): Promise<void> {
    return endMqtt(this.client, true);
  }
}
