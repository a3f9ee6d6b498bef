// Transport security costs: the device/core request/response round trip over mutual TLS with the
// topic ACL vs plaintext (both with TCP_NODELAY: TLS runs over the same no-delay socket, so it
// must stay near the plaintext figure, not near the ~88 ms of Nagle's algorithm), and the rate
// at which `simedge pki` issues certificates (RSA-2048 key generation dominates).
import { startEmbeddedBroker } from '@simedge/core-validator/broker';
import { createCa, issueCert } from '@simedge/core-validator/pki';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { topics } from '@simedge/device-sdk/wire';
import { timeAsync, timeIt, type Bench, type Row } from './types.js';

const IMSI = '244051234567890';

/** The device publishes on its up topic, the core answers on the device's down topic. */
async function roundTrip(device: MqttClient, core: MqttClient, n: number): Promise<number> {
  await core.subscribeAsync(topics.allDeviceUp, { qos: 1 });
  await device.subscribeAsync(topics.deviceDown(IMSI), { qos: 1 });
  core.on('message', (_t, p) => { core.publish(topics.deviceDown(IMSI), p, { qos: 1 }); });
  let resolveOne: () => void = () => undefined;
  device.on('message', () => resolveOne());
  const once = () => new Promise<void>((r) => { resolveOne = r; device.publish(topics.deviceUp(IMSI), Buffer.from('ping'), { qos: 1 }); });
  await once();
  return timeAsync(n, once);
}

async function tlsRoundTrip(): Promise<Row[]> {
  const ca = createCa();
  const broker = issueCert(ca, { role: 'broker', id: 'b1', ips: ['127.0.0.1'] });
  const dev = issueCert(ca, { role: 'device', id: IMSI });
  const core = issueCert(ca, { role: 'core', id: 'core-1' });
  const n = 300;

  const plain = await startEmbeddedBroker();
  const pd = await connectMqtt(plain.url, { clientId: IMSI });
  const pc = await connectMqtt(plain.url, { clientId: 'core' });
  const plainMs = await roundTrip(pd, pc, n);
  await endMqtt(pd); await endMqtt(pc); await plain.close();

  const secure = await startEmbeddedBroker({ tls: { ca: ca.certPem, cert: broker.certPem, key: broker.keyPem }, acl: true });
  const sd = await connectMqtt(secure.url, { clientId: IMSI, ca: ca.certPem, cert: dev.certPem, key: dev.keyPem });
  const sc = await connectMqtt(secure.url, { clientId: 'core', ca: ca.certPem, cert: core.certPem, key: core.keyPem });
  const tlsMs = await roundTrip(sd, sc, n);
  await endMqtt(sd); await endMqtt(sc); await secure.close();
  return [{ name: 'device/core round trip, mutual TLS + topic ACL', value: `${tlsMs.toFixed(2)} ms`, baseline: `${plainMs.toFixed(2)} ms (plaintext, no ACL)`, ratio: `${(tlsMs / plainMs).toFixed(2)}x`, note: `aedes + MQTT.js on loopback, QoS 1 both ways, ${n} round trips; TCP_NODELAY under TLS (Nagle would be ~88 ms)` }];
}

async function issueRate(): Promise<Row[]> {
  const ca = createCa();
  const n = 10;
  let i = 0;
  const ms = timeIt(n, () => { issueCert(ca, { role: 'device', id: String(244051234500000 + i++) }); });
  return [{ name: 'simedge pki: device certificates issued', value: `${(1000 / ms).toFixed(1)}/s`, baseline: `${ms.toFixed(0)} ms each`, ratio: '-', note: 'RSA-2048 key generation (node:crypto) is nearly all of it; forge builds the structure, node:crypto signs (forge signing alone took 150-350 ms)' }];
}

export const benches: Bench[] = [
  { name: 'tls-round-trip', run: tlsRoundTrip },
  { name: 'pki-issue', run: issueRate },
];
