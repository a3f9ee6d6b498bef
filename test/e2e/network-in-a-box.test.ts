// End to end: the whole FIG. 2 flow through real parts in one process - embedded aedes broker,
// core validator on SQLite, two edge agents running `fn` as child processes, the network simulator,
// emulated modems over in-memory serial links, and the device SDK. Nothing is mocked.
import { afterEach, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt } from '@simedge/device-sdk/node';
import { decodeDown, decodeSign1, parseOrder, topics, type Code, type TraceEvent } from '@simedge/device-sdk/wire';
import { demoDevices, startWorld, type DeviceSpec, type World } from '../../examples/network-in-a-box/world.js';
import { runScenario, VISITED_CELL } from '../../examples/network-in-a-box/scenario.js';

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('network in a box [DESIGN.md FIG. 2, steps 201-210]', () => {
  it('attaches, provisions, uses, roams and switches off three devices, leaving nothing behind', async () => {
    const events: TraceEvent[] = [];
    world = await startWorld({ devices: demoDevices(3), trace: (e) => events.push(e) });
    const report = await runScenario(world, events);
    expect(report.reasons).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.devices).toHaveLength(3);
    for (const d of report.devices) {
      expect(d.ok, d.error).toBe(true);
      expect(d.steps).toEqual([201, 202, 203, 204, 205, 206, 207, 208, 209, 210]);
      // Three readings: 21.5, 22.5, 31 -> running average 25, alert on the last.
      expect(d.results[2]).toEqual({ n: 3, avg: 25, alert: true });
    }
    // The roamer was served by edge-a, then by edge-b, which serves the visited cell.
    const roamer = report.devices.find((d) => d.imsi === report.roamer);
    expect(roamer?.edges).toEqual(['edge-a', 'edge-b']);
    // Make-before-break: the new edge was ready before the old provision was removed.
    const mine = events.filter((e) => e.imsi === report.roamer && e.actor === 'core');
    const readyAtB = mine.findIndex((e) => e.step === 207 && e.ev === 'ready' && (e.detail ?? '').includes('edge-b'));
    const removedAtA = mine.findIndex((e) => e.step === 210 && e.ev === 'removed' && (e.detail ?? '').includes('edge-a'));
    expect(readyAtB).toBeGreaterThanOrEqual(0);
    expect(removedAtA).toBeGreaterThan(readyAtB);
    expect(report.leftovers).toEqual({ instances: 0, provisions: 0, sessions: 0 });
    expect(world.network.sessions()).toEqual([]);
    // The core learnt every session from RADIUS accounting: 3 Starts, 1 Interim-Update (the
    // roam), 3 Stops, each answered.
    await world.accounting?.idle();
    expect(world.accounting?.stats).toMatchObject({ sent: 7, answered: 7, failed: 0 });
    expect(VISITED_CELL).toBe('02C4F301');
  });
});

describe('network in a box over mutual TLS with topic ACLs [DESIGN.md Trust]', () => {
  it('runs the whole flow with certificates only, and a device certificate cannot speak for another IMSI', async () => {
    const events: TraceEvent[] = [];
    let onDropped: (e: TraceEvent) => void = () => undefined;
    world = await startWorld({ devices: demoDevices(3), security: 'tls', trace: (e) => { events.push(e); if (e.actor === 'core' && e.ev === 'dropped') onDropped(e); } });
    expect(world.broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const report = await runScenario(world, events);
    expect(report.reasons).toEqual([]);
    expect(report.ok).toBe(true);
    for (const d of report.devices) expect(d.steps).toEqual([201, 202, 203, 204, 205, 206, 207, 208, 209, 210]);
    expect(report.leftovers).toEqual({ instances: 0, provisions: 0, sessions: 0 });

    const pki = world.pki as NonNullable<World['pki']>;
    const [a, b] = demoDevices(2).map((d) => d.imsi) as [string, string];
    // Without a client certificate the TLS handshake fails: no MQTT session at all.
    await expect(connectMqtt(world.broker.url, { ca: pki.ca.certPem, clientId: b, reconnectPeriod: 0, connectTimeoutMs: 5000 })).rejects.toThrow();
    // A valid certificate for IMSI a, publishing on b's up topic: the ACL refuses it and closes the
    // connection [MQTT 3.1.1 has no negative PUBACK]; the client id claiming b changes nothing.
    const intruder = await connectMqtt(world.broker.url, { ...pki.issue('device', a), clientId: b, reconnectPeriod: 0 });
    const closed = new Promise<string>((resolve) => intruder.once('close', () => resolve('closed')));
    const acked = intruder.publishAsync(topics.deviceUp(b), Buffer.from('forged'), { qos: 1 }).then(() => 'acknowledged', () => 'failed');
    expect(await Promise.race([closed, acked])).toBe('closed');
    // Then b itself publishes an undecodable marker on its own topic. The core drops it (and
    // traces that); had the forged message got through, the core would have dropped it first.
    const dropped = new Promise<TraceEvent>((resolve) => { onDropped = resolve; });
    const owner = await connectMqtt(world.broker.url, { ...pki.issue('device', b), clientId: b });
    await owner.publishAsync(topics.deviceUp(b), Buffer.from('marker'), { qos: 1 });
    expect((await dropped).imsi).toBe(b);
    expect(events.filter((e) => e.actor === 'core' && e.ev === 'dropped')).toHaveLength(1);
    await endMqtt(owner);
  });
});

/** Watches every order topic and the device's down topic from one subscriber, so that once the
 *  device's `rej` has arrived, any order the core published before it has arrived too (one
 *  publisher, one subscriber, QoS 1: delivered in order). */
async function watchOrders(w: World, imsi: string) {
  const client = await connectMqtt(w.broker.url, { clientId: `watch-${imsi}` });
  const orders: string[] = [];
  let onRej: (code: string) => void = () => undefined;
  const rej = new Promise<string>((resolve) => { onRej = resolve; });
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/orders')) {
      const s = decodeSign1(new Uint8Array(payload));
      orders.push(parseOrder(s.payload).t);
    } else {
      const m = decodeDown(new Uint8Array(payload));
      if (m.t === 'rej') onRej(m.code);
    }
  });
  await client.subscribeAsync([`simedge/v1/e/+/orders`, topics.deviceDown(imsi)], { qos: 1 });
  return { orders, rej, close: () => endMqtt(client) };
}

describe('network intake without RADIUS', () => {
  it('runs the same flow with the simulator calling the core directly', async () => {
    const events: TraceEvent[] = [];
    world = await startWorld({ devices: demoDevices(1), trace: (e) => events.push(e), intake: 'direct' });
    const report = await runScenario(world, events);
    expect(report.reasons).toEqual([]);
    expect(world.accounting).toBeUndefined();
  });
});

describe('rejections are decided before anything is deployed [DESIGN.md step 204]', () => {
  const base = demoDevices(1)[0] as DeviceSpec;
  const cases: Array<{ code: Code; spec: Partial<DeviceSpec> }> = [
    // Same kid as the trusted manufacturer key, signed with another key.
    { code: 'BAD_SIGNATURE', spec: { template: (w) => w.signTemplate(w.template(), new Uint8Array(32).fill(7)) } },
    { code: 'UNKNOWN_IMSI', spec: { known: false } },
    { code: 'TEMPLATE_EXPIRED', spec: { template: (w) => {
      const t = Math.floor(Date.now() / 1000);
      return w.signTemplate(w.template({ iat: t - 2 * 365 * 86400, exp: t - 86400 }));
    } } },
    // The network never reported this IMSI's session to the core.
    { code: 'NO_ATTACH', spec: { reportAttach: false } },
  ];
  for (const c of cases) {
    it(`answers rej ${c.code} and deploys nothing`, async () => {
      const spec: DeviceSpec = { ...base, ...c.spec };
      world = await startWorld({ devices: [spec] });
      const entry = world.devices[0] as World['devices'][number];
      const watch = await watchOrders(world, spec.imsi);
      const err = await entry.device.powerOn('on').then(() => undefined, (e: unknown) => e as { code?: string; rejCode?: string });
      expect(err?.rejCode).toBe(c.code);
      expect(await watch.rej).toBe(c.code);
      expect(watch.orders).toEqual([]);
      for (const edge of world.edges.values()) expect(edge.instances()).toEqual([]);
      expect(await world.core.store.provisions({ imsi: spec.imsi })).toEqual([]);
      await watch.close();
    });
  }
});
