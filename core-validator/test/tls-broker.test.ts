// Mutual TLS and topic ACLs on the embedded aedes broker, over real TLS sockets on 127.0.0.1 with
// certificates from our own PKI (DESIGN.md Trust). A refused publish is proven absent by a later
// marker message on the same subscriber, never by waiting.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { topics } from '@simedge/device-sdk/wire';
import { startEmbeddedBroker, type EmbeddedBroker } from '../src/broker.js';
import { recordPeers } from '../src/attest/index.js';
import type { Denial } from '../src/acl/index.js';
import { CORE, EDGE, IMSI_A, IMSI_B, Inbox, closed, makePki, subscribeGranted, type Creds, type TestPki } from './tls-fixtures.js';

let pki: TestPki;
let broker: EmbeddedBroker;
const denials: Denial[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  pki = makePki();
  broker = await startEmbeddedBroker({ tls: { ca: pki.caPem, ...pki.broker }, acl: { onDeny: (d) => denials.push(d) } });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => endMqtt(c, true)));
});
afterAll(async () => {
  await broker.close();
  pki.cleanup();
});

async function as(c: Creds, clientId: string): Promise<MqttClient> {
  const client = await connectMqtt(broker.url, { ...c, clientId, reconnectPeriod: 0, connectTimeoutMs: 5000 });
  clients.push(client);
  return client;
}

async function coreInbox(): Promise<{ core: MqttClient; inbox: Inbox }> {
  const core = await as(pki.core, 'core');
  const inbox = new Inbox(core);
  expect(await subscribeGranted(core, topics.allDeviceUp)).toBe(1);
  return { core, inbox };
}

describe('embedded broker: mutual TLS', () => {
  it('serves mqtts:// and accepts a client certificate from the operator CA', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const c = await as(pki.deviceA, IMSI_A);
    expect(c.connected).toBe(true);
  });

  it('refuses a client without a certificate', async () => {
    await expect(connectMqtt(broker.url, { ca: pki.caPem, reconnectPeriod: 0, connectTimeoutMs: 5000 })).rejects.toThrow(/certificate/i);
  });

  it('refuses a client certificate from another CA', async () => {
    await expect(connectMqtt(broker.url, { ...pki.foreign, reconnectPeriod: 0, connectTimeoutMs: 5000 })).rejects.toThrow(/closed before CONNACK|unknown ca/i);
  });

  it('the client refuses a broker that its CA did not certify', async () => {
    await expect(connectMqtt(broker.url, { ...pki.deviceA, ca: pki.foreign.cert, reconnectPeriod: 0, connectTimeoutMs: 5000 })).rejects.toThrow(/certificate/i);
  });
});

describe('embedded broker: topic ACL from the peer certificate', () => {
  it('a device publishes its own up topic and the core receives it', async () => {
    const { inbox } = await coreInbox();
    const dev = await as(pki.deviceA, IMSI_A);
    await dev.publishAsync(topics.deviceUp(IMSI_A), 'hello-a', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_A), 'hello-a');
  });

  it("a device publishing another IMSI's up topic is cut off and the message never arrives", async () => {
    const { inbox } = await coreInbox();
    const dev = await as(pki.deviceA, IMSI_A);
    const gone = closed(dev);
    dev.publish(topics.deviceUp(IMSI_B), 'forged', { qos: 1 });
    await gone;
    // The refusal happened before the close; a later marker on the same subscriber proves the
    // forged message is not merely late.
    const b = await as(pki.deviceB, IMSI_B);
    await b.publishAsync(topics.deviceUp(IMSI_B), 'marker', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_B), 'marker');
    expect(inbox.has(topics.deviceUp(IMSI_B), 'forged')).toBe(false);
    expect(denials).toContainEqual({ action: 'publish', topic: topics.deviceUp(IMSI_B), identity: { role: 'device', id: IMSI_A }, clientId: IMSI_A });
  });

  it("the MQTT client id is not an identity: a device calling itself another IMSI is still itself", async () => {
    const { inbox } = await coreInbox();
    const dev = await as(pki.deviceA, IMSI_B);
    const gone = closed(dev);
    dev.publish(topics.deviceUp(IMSI_B), 'claimed', { qos: 1 });
    await gone;
    const b = await as(pki.deviceB, 'b');
    await b.publishAsync(topics.deviceUp(IMSI_B), 'marker2', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_B), 'marker2');
    expect(inbox.has(topics.deviceUp(IMSI_B), 'claimed')).toBe(false);
  });

  it('a device may subscribe only its own down topic', async () => {
    const dev = await as(pki.deviceA, IMSI_A);
    expect(await subscribeGranted(dev, topics.deviceDown(IMSI_A))).toBe(1);
    expect(await subscribeGranted(dev, topics.deviceDown(IMSI_B))).toBe(128);
    expect(await subscribeGranted(dev, 'simedge/v1/d/+/down')).toBe(128);
    expect(await subscribeGranted(dev, '#')).toBe(128);
    expect(dev.connected).toBe(true); // a refused SUBSCRIBE does not cost the connection
  });

  it("an edge cannot publish a device's down topic; the core can", async () => {
    const dev = await as(pki.deviceA, IMSI_A);
    const inbox = new Inbox(dev);
    expect(await subscribeGranted(dev, topics.deviceDown(IMSI_A))).toBe(1);
    const edge = await as(pki.edge, EDGE);
    const gone = closed(edge);
    edge.publish(topics.deviceDown(IMSI_A), 'from-edge', { qos: 1 });
    await gone;
    const core = await as(pki.core, CORE);
    await core.publishAsync(topics.deviceDown(IMSI_A), 'from-core', { qos: 1 });
    await inbox.waitFor(topics.deviceDown(IMSI_A), 'from-core');
    expect(inbox.has(topics.deviceDown(IMSI_A), 'from-edge')).toBe(false);
  });

  it('an edge publishes its own events and status and subscribes only its own orders', async () => {
    const { core, inbox } = await coreInbox();
    expect(await subscribeGranted(core, topics.allEdgeEvents)).toBe(1);
    expect(await subscribeGranted(core, topics.allEdgeStatus)).toBe(1);
    const edge = await as(pki.edge, EDGE);
    expect(await subscribeGranted(edge, topics.edgeOrders(EDGE))).toBe(1);
    expect(await subscribeGranted(edge, topics.edgeOrders('edge-b'))).toBe(128);
    await edge.publishAsync(topics.edgeEvents(EDGE), 'ev', { qos: 1 });
    await edge.publishAsync(topics.edgeStatus(EDGE), 'st', { qos: 1 });
    await inbox.waitFor(topics.edgeEvents(EDGE), 'ev');
    await inbox.waitFor(topics.edgeStatus(EDGE), 'st');
  });
});

describe('topic ACL composed with network attestation (attest/broker-hook.ts)', () => {
  it('records the peer of an allowed up publish, and nothing for a refused one', async () => {
    const peers = recordPeers(broker.aedes);
    const { inbox } = await coreInbox();
    const b = await as(pki.deviceB, IMSI_B);
    await b.publishAsync(topics.deviceUp(IMSI_B), 'attested', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_B), 'attested');
    expect(peers.take(topics.deviceUp(IMSI_B), new TextEncoder().encode('attested'))).toBe('127.0.0.1');
    const a = await as(pki.deviceA, IMSI_A);
    const gone = closed(a);
    a.publish(topics.deviceUp(IMSI_B), 'spoof', { qos: 1 });
    await gone;
    expect(peers.size).toBe(0);
  });
});
