// Scale-out adoption of a timed-out deploy's clean-up remove [DESIGN "The flow" 205, 209-210;
// README "The flow" row "deadline", "Scale-out" Leases; src/cluster.ts]. A shared core's deploy
// times out (the edge never answers), so the provision is FAILED_TEMP and its clean-up remove
// order, with its own deadline, is the current order; then that core dies before the edge
// confirms. Another core adopts the provision, re-sends the very same remove order (same oid) and
// keeps re-sending it until the edge answers `removed`, as a single core does after a restart: a
// deploy the edge carries out late must not keep its resources. An older FAILED_TEMP of the dead
// core, whose clean-up already ended, is left alone.
// Real parts: Mosquitto 2 (MQTT 5 shared subscriptions), two CoreValidators on one SQLite file, a
// scripted edge and a device as MQTT clients. The clock is injected: the dead core's lease lapses
// on it, and the adopting core adopts in the first heartbeat, which start() awaits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { encodeCbor, encodeMsg, sign1, topics, type Template, type TraceEvent, type UpMsg } from '@simedge/device-sdk/wire';
import { CoreValidator, openStore, silentLogger } from '../src/index.js';
import { CELL_A, ICCID, IMSI, Inbox, TestEdge, downOf, key } from './harness.js';
import { startOpenMosquitto, type RunningMosquitto } from './mosquitto-run.js';

/** Real ms until the deploy times out: the clock stands still meanwhile, so the clean-up remove's
 *  deadline is the failure's clock time + this. */
const OP_TIMEOUT_MS = 300;
/** The first core's lease, shorter than the clean-up's window: it lapses on the clock while the
 *  clean-up is still pending. */
const LEASE_A_MS = 150;
/** The adopting core's lease: its heartbeat timer (every 20 s) never fires during the test. */
const LEASE_B_MS = 60_000;
const FAST_RETRY = { baseMs: 10, maxMs: 20 };
/** No re-sends on the first core: its clean-up remove goes out once. */
const NO_RETRY = { baseMs: 60_000, maxMs: 60_000 };

let dir = '';
let broker: RunningMosquitto | undefined;
let url = '';
const cores: CoreValidator[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simedge-cleanup-adopt-'));
  ({ broker, url } = await startOpenMosquitto(dir));
});
afterEach(async () => {
  for (const c of cores.splice(0)) await c.stop();
  for (const c of clients.splice(0)) await endMqtt(c, true);
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Trace events of one core, with waiting (bounded by the Inbox-style guard). */
class Traces {
  readonly all: TraceEvent[] = [];
  private waiters: (() => void)[] = [];
  push = (e: TraceEvent): void => {
    this.all.push(e);
    for (const w of this.waiters.splice(0)) w();
  };
  async waitFor(ev: string, detail?: string): Promise<TraceEvent> {
    const guard = Date.now() + 5000;
    for (;;) {
      const hit = this.all.find((t) => t.ev === ev && (detail === undefined || t.detail === detail));
      if (hit) return hit;
      const left = guard - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for trace ${ev} ${detail ?? ''}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
}

async function client(id: string, subscribe: string[]): Promise<{ c: MqttClient; inbox: Inbox }> {
  const c = await connectMqtt(url, { clientId: id });
  clients.push(c);
  const inbox = new Inbox(c);
  if (subscribe.length > 0) await c.subscribeAsync(subscribe, { qos: 1 });
  return { c, inbox };
}

describe('shared cores: a dead core\'s timed-out deploy [README "Scale-out"]', () => {
  it('another core adopts its pending clean-up remove, re-sends it (same oid) until removed; an ended clean-up stays', async () => {
    const t0 = Date.UTC(2026, 0, 15);
    const clock = { ms: t0 };
    const now = () => clock.ms;
    const database = `sqlite:${join(dir, 'core.db')}`;
    const coreKey = key('core-1');
    const mfr = key('acme-2026');

    const tracesA = new Traces();
    const a = new CoreValidator({
      brokerUrl: url, coreKey: { kid: coreKey.kid, seed: coreKey.seed }, database, shared: true, leaseMs: LEASE_A_MS,
      opTimeoutMs: OP_TIMEOUT_MS, retry: NO_RETRY, now, log: silentLogger, trace: tracesA.push,
    });
    cores.push(a);
    await a.store.addTrustKey({ kid: mfr.kid, publicKey: mfr.publicKey, mfr: 'acme' });
    await a.store.addSubscriber({ imsi: IMSI, iccid: ICCID });
    await a.store.setCellEdge(CELL_A, 'edge-a');
    // An older timed-out deploy of the same core whose clean-up ended (its deadline passed): the
    // adopting core must neither take it nor send anything for it.
    await a.store.createProvision({
      pid: 'p-old', imsi: IMSI, edge: 'edge-a', state: 'FAILED_TEMP', code: 'TIMEOUT', tid: 'acme.thermo', cls: 'acme/thermo-nb1', rid: 'r-old',
      oid: 'o-old-cleanup', created: t0 - 60_000, updated: t0 - 59_000, deadline: t0 - 1, owner: a.id,
    });
    await a.store.createOrder({ oid: 'o-old-cleanup', pid: 'p-old', kind: 'remove', edge: 'edge-a', at: t0 - 59_000 });

    const edgeC = await client('test-edge-a', [topics.edgeOrders('edge-a')]);
    const edge = new TestEdge('edge-a', edgeC.c, coreKey.publicKey, edgeC.inbox);
    edge.auto = false; // takes every order, answers none
    await edge.status(true);
    const device = await client('test-device', [topics.deviceDown(IMSI)]);
    const up = (m: UpMsg) => { device.c.publish(topics.deviceUp(IMSI), Buffer.from(encodeMsg(m)), { qos: 1 }); };
    const hello = async (rid: string) => {
      up({ t: 'hello', rid, imsi: IMSI, iccid: ICCID, plmn: '24001', cell: CELL_A, why: 'on' });
      return (await device.inbox.waitFor(downOf(IMSI, 'chal', (m) => m.rid === rid), `chal ${rid}`)).nonce;
    };

    await a.start();
    await tracesA.waitFor('edge-status', 'edge-a online'); // retained, after the subscription
    await a.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: CELL_A, at: clock.ms });

    // The deploy [205]: accepted, the order reaches the edge, no answer.
    const s = Math.floor(clock.ms / 1000);
    const tpl: Template = {
      v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: s - 60, exp: s + 86400,
      svc: [{ n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret'], share: 'class', res: { cpu: 0.1, mem: 32 } }],
    };
    up({ t: 'prov', rid: 'p1', imsi: IMSI, nonce: await hello('h1'), tpl: sign1(encodeCbor(tpl), mfr.kid, mfr.seed) });
    const acc = await device.inbox.waitFor(downOf(IMSI, 'acc', (m) => m.rid === 'p1'), 'acc p1');
    const deployOrder = await edge.nextOrder('deploy');
    expect(deployOrder.pid).toBe(acc.pid);

    // opTimeoutMs later (real time; the event waited on): FAILED_TEMP, rej TIMEOUT, clean-up remove.
    expect(await device.inbox.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT')).toMatchObject({ code: 'TIMEOUT' });
    const cleanup = await edge.nextOrder('remove');
    expect(cleanup).toMatchObject({ pid: acc.pid, edge: 'edge-a' });
    expect(cleanup.oid).not.toBe(deployOrder.oid);
    expect(await a.store.provision(acc.pid)).toMatchObject({
      state: 'FAILED_TEMP', code: 'TIMEOUT', oid: cleanup.oid, owner: a.id, deadline: t0 + OP_TIMEOUT_MS,
    });

    // The core dies: its timers and connection go, and its lease row stays as last renewed
    // (stop() drops the row, a crash cannot: put it back).
    await a.stop();
    cores.splice(cores.indexOf(a), 1);
    const storeB = openStore(database);
    await storeB.renewLease(a.id, t0 + LEASE_A_MS);
    expect((await storeB.order(cleanup.oid))?.sends).toBe(1);

    // Past the dead core's lease on the clock, within the clean-up's deadline: a second core starts.
    clock.ms = t0 + LEASE_A_MS + 50;
    expect(clock.ms).toBeLessThan(t0 + OP_TIMEOUT_MS);
    const tracesB = new Traces();
    const b = new CoreValidator({
      brokerUrl: url, coreKey: { kid: coreKey.kid, seed: coreKey.seed }, store: storeB, shared: true, leaseMs: LEASE_B_MS,
      opTimeoutMs: OP_TIMEOUT_MS, retry: FAST_RETRY, now, log: silentLogger, trace: tracesB.push,
    });
    cores.push(b);
    const seen = edge.orders.length;
    await b.start(); // the first heartbeat (adoption) runs inside start()

    expect(await storeB.provision(acc.pid)).toMatchObject({ state: 'FAILED_TEMP', oid: cleanup.oid, owner: b.id, deadline: t0 + OP_TIMEOUT_MS });
    expect(tracesB.all.filter((t) => t.ev === 'remove-order')).toEqual([expect.objectContaining({ step: 209, imsi: IMSI, detail: 'edge-a adopted' })]);
    // The adoption's copy and then the re-sends: always the very same order (same oid).
    await edge.inbox.waitFor(() => (edge.orders.slice(seen).length >= 3 ? true : undefined), 'the adopted clean-up remove and two re-sends');
    expect(edge.orders.slice(seen).map((o) => [o.t, o.oid, o.pid])).toEqual(edge.orders.slice(seen).map(() => ['remove', cleanup.oid, acc.pid]));
    await tracesB.waitFor('remove-retry');
    // The ended clean-up stays with the dead core, and nothing was sent for it.
    expect((await storeB.provision('p-old'))?.owner).toBe(a.id);
    expect(edge.orders.some((o) => o.oid === 'o-old-cleanup' || o.pid === 'p-old')).toBe(false);

    // The edge confirms: the re-sends end; the provision stays FAILED_TEMP, nothing in flight.
    edge.send({ t: 'removed', oid: cleanup.oid, pid: acc.pid, edge: 'edge-a' });
    await tracesB.waitFor('removed-late');
    const p = await storeB.provision(acc.pid);
    expect(p).toMatchObject({ state: 'FAILED_TEMP', code: 'TIMEOUT', owner: b.id });
    expect(p?.deadline).toBeUndefined();
    const sends = (await storeB.order(cleanup.oid))?.sends ?? 0;
    expect(sends).toBeGreaterThanOrEqual(4); // the first core's, the adoption's, two re-sends at least
    // A repeat of the answer (acknowledged by the broker, then a device round trip through the
    // same core's serial queue, so it was handled) changes nothing, and no copy went out since.
    await edge.client.publishAsync(topics.edgeEvents('edge-a'), Buffer.from(encodeMsg({ t: 'removed', oid: cleanup.oid, pid: acc.pid, edge: 'edge-a' })), { qos: 1 });
    await hello('marker');
    await b.idle();
    expect((await storeB.order(cleanup.oid))?.sends).toBe(sends);
    expect(tracesB.all.filter((t) => t.ev === 'removed-late')).toHaveLength(1);
    expect(device.inbox.down().filter((m) => m.t === 'term' || m.t === 'ready')).toEqual([]); // the device had its rej
  });
});
