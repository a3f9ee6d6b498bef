// MQTT request/response round trip through the broker with TCP_NODELAY (our embedded broker and
// connectMqtt) vs default sockets (Nagle's algorithm on), QoS 1 both ways as in the protocol.
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { MqttClient } from 'mqtt';
import { startEmbeddedBroker } from '@simedge/core-validator/broker';
import { connectMqtt, endMqtt } from '@simedge/device-sdk/node';
import { timeAsync, type Bench, type Row } from './types.js';

/** Request/response through the broker: client A publishes, client B echoes, A waits. */
async function roundTrip(a: MqttClient, b: MqttClient, n: number): Promise<number> {
  // The PUBACKs are what Nagle's algorithm holds back.
  await b.subscribeAsync('bench/req', { qos: 1 });
  await a.subscribeAsync('bench/res', { qos: 1 });
  b.on('message', (_t, p) => { b.publish('bench/res', p, { qos: 1 }); });
  let resolveOne: () => void = () => undefined;
  a.on('message', () => resolveOne());
  const once = () => new Promise<void>((r) => { resolveOne = r; a.publish('bench/req', Buffer.from('ping'), { qos: 1 }); });
  await once();
  return timeAsync(n, once);
}

async function nagle(): Promise<Row[]> {
  const broker = await startEmbeddedBroker();
  const a = await connectMqtt(broker.url, { clientId: 'bench-a' });
  const b = await connectMqtt(broker.url, { clientId: 'bench-b' });
  const fast = await roundTrip(a, b, 200);
  await endMqtt(a); await endMqtt(b); await broker.close();

  const aedes = await Aedes.createBroker();
  const server = createServer((s) => aedes.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const mk = (id: string) => new Promise<MqttClient>((resolve) => {
    const c = new MqttClient(() => netConnect({ host: '127.0.0.1', port }) as Socket, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
  });
  const a2 = await mk('slow-a');
  const b2 = await mk('slow-b');
  const slow = await roundTrip(a2, b2, 10);
  await endMqtt(a2, true); await endMqtt(b2, true);
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => aedes.close(() => r()));
  return [{ name: 'MQTT request/response round trip, TCP_NODELAY', value: `${fast.toFixed(2)} ms`, baseline: `${slow.toFixed(2)} ms (default sockets)`, ratio: `${(slow / fast).toFixed(0)}x faster`, note: 'aedes + MQTT.js on loopback, QoS 1 both ways' }];
}

export const benches: Bench[] = [{ name: 'mqtt-nodelay', run: nagle }];
