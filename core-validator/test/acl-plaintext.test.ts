// The topic ACL on a plaintext aedes listener (the in-box demo's mode): by option the client
// identity is the MQTT client id or username (an unauthenticated claim); without the option a
// plaintext client may do nothing. Real broker, real MQTT.js clients on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { topics } from '@simedge/device-sdk/wire';
import { startEmbeddedBroker, type EmbeddedBroker } from '../src/broker.js';
import { recordPeers } from '../src/attest/index.js';
import { installTopicAcl } from '../src/acl/index.js';
import { IMSI_A, IMSI_B, Inbox, closed, subscribeGranted } from './tls-fixtures.js';

const open: Array<MqttClient | EmbeddedBroker> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await ('aedes' in x ? x.close() : endMqtt(x, true));
});

async function client(url: string, opts: { clientId: string; username?: string }): Promise<MqttClient> {
  const c = await connectMqtt(url, { ...opts, reconnectPeriod: 0, connectTimeoutMs: 5000 });
  open.push(c);
  return c;
}

describe('plaintext topic ACL', () => {
  it('clientId mode: a device (client id = IMSI) publishes its own up; a forged one is refused', async () => {
    const b = await startEmbeddedBroker({ acl: { plaintext: 'clientId' } });
    open.push(b);
    expect(b.url).toMatch(/^mqtt:\/\//);
    const core = await client(b.url, { clientId: 'core:core-1' });
    const inbox = new Inbox(core);
    expect(await subscribeGranted(core, topics.allDeviceUp)).toBe(1);
    const a = await client(b.url, { clientId: IMSI_A });
    const gone = closed(a);
    a.publish(topics.deviceUp(IMSI_B), 'forged', { qos: 1 });
    await gone;
    const bdev = await client(b.url, { clientId: IMSI_B });
    await bdev.publishAsync(topics.deviceUp(IMSI_B), 'marker', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_B), 'marker');
    expect(inbox.has(topics.deviceUp(IMSI_B), 'forged')).toBe(false);
  });

  it('username mode: the identity is the username, not the client id', async () => {
    const b = await startEmbeddedBroker({ acl: { plaintext: 'username' } });
    open.push(b);
    const e = await client(b.url, { clientId: IMSI_A, username: 'edge:edge-a' });
    expect(await subscribeGranted(e, topics.edgeOrders('edge-a'))).toBe(1);
    expect(await subscribeGranted(e, topics.deviceDown(IMSI_A))).toBe(128);
  });

  it('without a plaintext option nobody on a plaintext listener may do anything', async () => {
    const b = await startEmbeddedBroker({ acl: true });
    open.push(b);
    const a = await client(b.url, { clientId: IMSI_A });
    expect(await subscribeGranted(a, topics.deviceDown(IMSI_A))).toBe(128);
    const gone = closed(a);
    a.publish(topics.deviceUp(IMSI_A), 'x', { qos: 1 });
    await gone;
  });

  it('installed after the attestation hook, the ACL still applies and a refused publish is not recorded', async () => {
    const b = await startEmbeddedBroker();
    open.push(b);
    const peers = recordPeers(b.aedes);
    installTopicAcl(b.aedes, { plaintext: 'clientId' });
    const core = await client(b.url, { clientId: 'core:core-1' });
    const inbox = new Inbox(core);
    expect(await subscribeGranted(core, topics.allDeviceUp)).toBe(1);
    const a = await client(b.url, { clientId: IMSI_A });
    await a.publishAsync(topics.deviceUp(IMSI_A), 'mine', { qos: 1 });
    await inbox.waitFor(topics.deviceUp(IMSI_A), 'mine');
    expect(peers.take(topics.deviceUp(IMSI_A), new TextEncoder().encode('mine'))).toBe('127.0.0.1');
    const gone = closed(a);
    a.publish(topics.deviceUp(IMSI_B), 'theirs', { qos: 1 });
    await gone;
    expect(peers.size).toBe(0);
  });

  it('no acl option: today\'s open broker', async () => {
    const b = await startEmbeddedBroker();
    open.push(b);
    const c = await client(b.url, { clientId: 'anyone' });
    expect(await subscribeGranted(c, '#')).toBe(1);
    await c.publishAsync(topics.deviceUp(IMSI_A), 'ok', { qos: 1 });
  });
});
