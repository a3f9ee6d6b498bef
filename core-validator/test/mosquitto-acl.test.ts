// The generated Mosquitto configuration on a real Mosquitto 2.x (/usr/sbin/mosquitto, Debian
// package `mosquitto`), started on an ephemeral 127.0.0.1 port and killed by the test, with
// certificates from our PKI and MQTT.js clients presenting them: the same allow/deny cases as the
// aedes hook. If Mosquitto does not start, the test fails with its log.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { topics } from '@simedge/device-sdk/wire';
import { writeMosquittoDir } from '../src/acl/index.js';
import { onFreePort, runMosquitto, type RunningMosquitto } from './mosquitto-run.js';
import { CORE, EDGE, GUARD_MS, IMSI_A, IMSI_B, Inbox, makePki, subscribeGranted, type Creds, type TestPki } from './tls-fixtures.js';

let pki: TestPki;
let broker: RunningMosquitto | undefined;
let url = '';
const clients: MqttClient[] = [];

beforeAll(async () => {
  pki = makePki();
  const confDir = join(pki.dir, 'mosquitto');
  await onFreePort(async (port) => {
    // Tests run as root in CI: Mosquitto would drop to user `mosquitto`, which cannot read the
    // 0600 broker key, so stay root here (a deployment gives the key to the broker's account).
    const r = writeMosquittoDir(pki.dir, confDir, { port, runAs: process.getuid?.() === 0 ? 'root' : undefined });
    broker = await runMosquitto(r.conf, GUARD_MS, { verbose: true });
    url = `mqtts://127.0.0.1:${port}`;
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => endMqtt(c, true)));
});

afterAll(async () => {
  await broker?.stop();
  pki?.cleanup();
});

async function as(c: Creds, clientId: string): Promise<MqttClient> {
  const client = await connectMqtt(url, { ...c, clientId, reconnectPeriod: 0, connectTimeoutMs: GUARD_MS });
  clients.push(client);
  return client;
}

describe('Mosquitto with the generated configuration', () => {
  it('is Mosquitto 2.x', () => {
    expect(broker?.log()).toMatch(/mosquitto version 2\.\d+\.\d+ running/);
  });

  it('refuses a client without a certificate, and one from another CA', async () => {
    await expect(connectMqtt(url, { ca: pki.caPem, reconnectPeriod: 0, connectTimeoutMs: GUARD_MS })).rejects.toThrow(/certificate|closed before CONNACK/i);
    await expect(connectMqtt(url, { ...pki.foreign, reconnectPeriod: 0, connectTimeoutMs: GUARD_MS })).rejects.toThrow(/unknown ca|closed before CONNACK/i);
  });

  it("a device publishes its own up topic; another IMSI's never reaches the core", async () => {
    const core = await as(pki.core, 'core');
    const inbox = new Inbox(core);
    expect(await subscribeGranted(core, topics.allDeviceUp)).toBe(1);
    const a = await as(pki.deviceA, IMSI_A);
    await a.publishAsync(topics.deviceUp(IMSI_A), 'own', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_A), 'own');
    // Mosquitto drops a refused v3.1.1 PUBLISH silently (it still PUBACKs); the marker comes
    // after it on the same connection, so once the marker is in, the forged one would be too.
    await a.publishAsync(topics.deviceUp(IMSI_B), 'forged', { qos: 1 });
    await a.publishAsync(topics.deviceUp(IMSI_A), 'marker', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_A), 'marker');
    expect(inbox.has(topics.deviceUp(IMSI_B), 'forged')).toBe(false);
  });

  it("a device subscribed to another IMSI's down topic (or all of them) receives nothing from it", async () => {
    // Mosquitto 2.0 grants the SUBSCRIBE and applies the `read` ACL to every delivery instead.
    const a = await as(pki.deviceA, IMSI_A);
    const inbox = new Inbox(a);
    for (const f of [topics.deviceDown(IMSI_A), topics.deviceDown(IMSI_B), 'simedge/v1/d/+/down', '#']) await subscribeGranted(a, f);
    const core = await as(pki.core, CORE);
    await core.publishAsync(topics.deviceDown(IMSI_B), 'for-b', { qos: 1 });
    await core.publishAsync(topics.deviceDown(IMSI_A), 'for-a', { qos: 1 });
    await inbox.waitFor(topics.deviceDown(IMSI_A), 'for-a');
    expect(inbox.all.filter((m) => m.topic !== topics.deviceDown(IMSI_A))).toEqual([]);
  });

  it("an edge cannot publish a device's down topic; the core can", async () => {
    const b = await as(pki.deviceB, IMSI_B);
    const inbox = new Inbox(b);
    expect(await subscribeGranted(b, topics.deviceDown(IMSI_B))).toBe(1);
    const edge = await as(pki.edge, EDGE);
    await edge.publishAsync(topics.deviceDown(IMSI_B), 'from-edge', { qos: 1 });
    // Same connection, later message: the edge's own events, seen by the core...
    const core = await as(pki.core, CORE);
    const coreInbox = new Inbox(core);
    expect(await subscribeGranted(core, topics.allEdgeEvents)).toBe(1);
    await core.publishAsync(topics.deviceDown(IMSI_B), 'from-core', { qos: 1 });
    await inbox.waitFor(topics.deviceDown(IMSI_B), 'from-core');
    await edge.publishAsync(topics.edgeEvents(EDGE), 'edge-marker', { qos: 1 });
    await coreInbox.waitFor(topics.edgeEvents(EDGE), 'edge-marker');
    expect(inbox.has(topics.deviceDown(IMSI_B), 'from-edge')).toBe(false);
  });

  it("the core receives through its shared subscription; an edge receives only its own orders", async () => {
    const core = await as(pki.core, 'core-shared');
    const coreInbox = new Inbox(core);
    expect(await subscribeGranted(core, topics.sharedDeviceUp)).toBe(1);
    const a = await as(pki.deviceA, IMSI_A);
    await a.publishAsync(topics.deviceUp(IMSI_A), 'shared', { qos: 1 });
    await coreInbox.waitFor(topics.deviceUp(IMSI_A), 'shared');

    const edge = await as(pki.edge, EDGE);
    const edgeInbox = new Inbox(edge);
    await subscribeGranted(edge, 'simedge/v1/e/+/orders');
    await core.publishAsync(topics.edgeOrders('edge-b'), 'not-yours', { qos: 1 });
    await core.publishAsync(topics.edgeOrders(EDGE), 'yours', { qos: 1 });
    await edgeInbox.waitFor(topics.edgeOrders(EDGE), 'yours');
    expect(edgeInbox.has(topics.edgeOrders('edge-b'), 'not-yours')).toBe(false);
  });
});
