// Test helpers: a fake core on a real MQTT connection (signs orders with a real Ed25519 key and
// collects the edge's events and retained status), a plain HTTP client, and process checks.
import { request } from 'node:http';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import {
  decodeEdgeEvent, decodeStatus, encodeMsg, generateKeyPair, sign1, topics, utf8Encode,
  type DeployOrder, type EdgeEvent, type EdgeStatus, type RemoveOrder, type ServiceSpec,
} from '@simedge/device-sdk/wire';

export const IMSI = '240010000000001';
const GUARD_MS = 8000;

let seq = 0;
/** A fresh id per call, so tests never see each other's orders or retained status. */
export function uid(prefix: string): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

export const nowSec = () => Math.floor(Date.now() / 1000);

/** An `fn` service whose code is `src`. */
export function fnService(src: string, mem = 16): ServiceSpec {
  return { n: 'fn', share: 'device', art: utf8Encode(src), res: { cpu: 0.1, mem } };
}

export function deployOrder(edge: string, svc: ServiceSpec[], over: Partial<DeployOrder> = {}): DeployOrder {
  const iat = nowSec();
  return { t: 'deploy', oid: uid('o'), pid: uid('p'), edge, imsi: IMSI, cls: 'acme/meter', tid: 'acme.meter', iat, exp: iat + 60, svc, ...over };
}

export function removeOrder(edge: string, pid: string, over: Partial<RemoveOrder> = {}): RemoveOrder {
  const iat = nowSec();
  return { t: 'remove', oid: uid('o'), pid, edge, imsi: IMSI, iat, exp: iat + 60, ...over };
}

/** Plays the core: signs and publishes orders, records every event and status of one edge. */
export class FakeCore {
  readonly key = generateKeyPair();
  readonly kid = 'core-1';
  readonly events: EdgeEvent[] = [];
  readonly statuses: EdgeStatus[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly edge: string, readonly client: MqttClient) {}

  static async connect(url: string, edge: string): Promise<FakeCore> {
    const client = await connectMqtt(url, { clientId: uid('core') });
    const core = new FakeCore(edge, client);
    client.on('message', (topic, payload) => {
      if (topic === topics.edgeEvents(edge)) core.events.push(decodeEdgeEvent(payload));
      if (topic === topics.edgeStatus(edge)) core.statuses.push(decodeStatus(payload));
      const w = core.waiters;
      core.waiters = [];
      for (const f of w) f();
    });
    await client.subscribeAsync([topics.edgeEvents(edge), topics.edgeStatus(edge)], { qos: 1 });
    return core;
  }

  get trusted() {
    return [{ kid: this.kid, publicKey: this.key.publicKey }];
  }

  sign(order: DeployOrder | RemoveOrder, seed: Uint8Array = this.key.seed, kid = this.kid): Uint8Array {
    return sign1(encodeMsg(order), kid, seed);
  }

  async publish(bytes: Uint8Array, edge = this.edge): Promise<void> {
    await this.client.publishAsync(topics.edgeOrders(edge), Buffer.from(bytes), { qos: 1 });
  }

  async send(order: DeployOrder | RemoveOrder): Promise<void> {
    await this.publish(this.sign(order));
  }

  /** Resolve with the first value `probe` returns (re-checked on every message), or fail after a guard timeout. */
  until<T>(what: string, probe: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), GUARD_MS);
      const check = () => {
        const v = probe();
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  event(oid: string, t: EdgeEvent['t']): Promise<EdgeEvent> {
    return this.until(`${t} for ${oid}`, () => this.events.find((e) => e.oid === oid && e.t === t));
  }

  eventsOf(oid: string): EdgeEvent[] {
    return this.events.filter((e) => e.oid === oid);
  }

  status(pred: (s: EdgeStatus) => boolean): Promise<EdgeStatus> {
    return this.until('a matching status', () => [...this.statuses].reverse().find(pred));
  }

  close(): Promise<void> {
    return endMqtt(this.client);
  }
}

/** POST a JSON text and return the status and parsed body (fresh connection, no pooling). */
export function post(url: string, body: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether an OS process exists (signal 0 probes without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}
