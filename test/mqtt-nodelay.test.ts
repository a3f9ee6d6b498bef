// The shared MQTT factory and the embedded broker talk to each other with Nagle off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { connectMqtt, endMqtt } from '@simedge/device-sdk/node';

let broker: EmbeddedBroker;
beforeAll(async () => { broker = await startEmbeddedBroker(); });
afterAll(async () => { await broker.close(); });

describe('embedded broker + connectMqtt', () => {
  it('delivers a QoS 1 message between two clients', async () => {
    const a = await connectMqtt(broker.url, { clientId: 'a' });
    const b = await connectMqtt(broker.url, { clientId: 'b' });
    await b.subscribeAsync('x/y', { qos: 1 });
    const got = new Promise<Buffer>((resolve) => b.on('message', (_t, p) => resolve(p)));
    await a.publishAsync('x/y', Buffer.from([1, 2, 3]), { qos: 1 });
    expect([...(await got)]).toEqual([1, 2, 3]);
    await endMqtt(a);
    await endMqtt(b);
  });
});

describe('connectMqtt localAddress', () => {
  it('connects from the given loopback address, which the broker sees as the peer', async () => {
    const seen = new Promise<string | undefined>((resolve) => {
      broker.aedes.once('client', (c) => resolve((c as unknown as { conn: { remoteAddress?: string } }).conn.remoteAddress));
    });
    const c = await connectMqtt(broker.url, { clientId: 'bound', localAddress: '127.100.0.9' });
    expect(await seen).toBe('127.100.0.9');
    await endMqtt(c);
  });
});
