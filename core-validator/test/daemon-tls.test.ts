// The core daemon over mutual TLS, configured by file alone: a PKI made with the real `simedge pki`
// commands, a config naming the CA, the core's certificate and the broker's, and the daemon's
// embedded broker then speaks mqtts:// with client certificates and the topic ACL. A device with
// its own certificate gets its challenge back (so the core itself connected through mutual TLS
// and subscribed); a client without a certificate, or a device publishing under another IMSI, is
// refused. Real TLS sockets on 127.0.0.1, ephemeral ports.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { main, writeKeyPair } from '@simedge/device-sdk/tools';
import { decodeDown, encodeMsg, topics } from '@simedge/device-sdk/wire';
import { loadCoreConfig } from '../src/daemon-config.js';
import { runCore, type RunningCore } from '../src/daemon.js';
import { silentLogger } from '../src/log.js';
import { closed } from './tls-fixtures.js';
import { detailOf } from '../../test/support/errors.js';

const TOKEN = 'tls-daemon-token-0123456789';
const IMSI = '244051234567890';
const OTHER = '244051234567891';
const dir = mkdtempSync(join(tmpdir(), 'simedge-daemon-tls-'));
let core: RunningCore | undefined;
const clients: MqttClient[] = [];

async function pki(args: string[]): Promise<void> {
  let err = '';
  const code = await main(['pki', ...args, '--dir', 'pki'], { out: () => {}, err: (t) => { err += t; }, cwd: dir });
  if (code !== 0) throw new Error(`simedge pki ${args.join(' ')}: ${err}`);
}

const read = (f: string) => readFileSync(join(dir, 'pki', f), 'utf8');
const deviceTls = (imsi: string) => ({ ca: read('ca.crt'), cert: read(`device-${imsi}.crt`), key: read(`device-${imsi}.key`) });

beforeAll(async () => {
  await pki(['init']);
  await pki(['issue', '--role', 'broker', '--id', 'b1', '--dns', 'localhost', '--ip', '127.0.0.1']);
  await pki(['issue', '--role', 'core', '--id', 'core-1']);
  await pki(['issue', '--role', 'device', '--id', IMSI]);
  writeKeyPair(join(dir, 'core.key.json'), 'core-1');
  writeFileSync(join(dir, 'core.yaml'), [
    'coreKeyFile: core.key.json',
    'broker: { embedded: { port: 0, tls: { certFile: pki/broker-b1.crt, keyFile: pki/broker-b1.key } } }',
    'tls: { caFile: pki/ca.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.key }',
    `admin: { port: 0, token: ${TOKEN} }`,
  ].join('\n'));
  core = await runCore(loadCoreConfig(join(dir, 'core.yaml')), { log: silentLogger });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => endMqtt(c, true)));
  await core?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('simedge core run with tls in its config', () => {
  it('serves mqtts:// and answers a device that presents its certificate', async () => {
    expect(core?.brokerUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const device = await connectMqtt(core!.brokerUrl, { clientId: `dev-${IMSI}`, ...deviceTls(IMSI) });
    clients.push(device);
    await device.subscribeAsync(topics.deviceDown(IMSI), { qos: 1 });
    const answered = new Promise<Uint8Array>((resolve) => device.on('message', (_t, p) => resolve(new Uint8Array(p))));
    await device.publishAsync(topics.deviceUp(IMSI), Buffer.from(encodeMsg({ t: 'hello', rid: 'r1', imsi: IMSI, iccid: '8946051234567890123', plmn: '24405', cell: 'c1', why: 'on' })), { qos: 1 });
    const chal = decodeDown(await answered);
    expect(chal).toMatchObject({ t: 'chal', rid: 'r1' });
  });

  it('refuses a client without a certificate', async () => {
    // The broker ends the handshake (no client certificate): an error, not a timeout.
    const refused = await connectMqtt(core!.brokerUrl, { clientId: 'anonymous', ca: read('ca.crt'), connectTimeoutMs: 3000, reconnectPeriod: 0 }).then(() => 'connected', (e: Error) => e.message);
    expect(refused).toMatch(/certificate|socket|closed|ECONNRESET/i);
  });

  it("cuts off a device that publishes under another IMSI (the topic ACL is on)", async () => {
    const device = await connectMqtt(core!.brokerUrl, { clientId: `dev2-${IMSI}`, ...deviceTls(IMSI), reconnectPeriod: 0 });
    clients.push(device);
    const gone = closed(device);
    device.publish(topics.deviceUp(OTHER), Buffer.from('spoof'), { qos: 1 });
    await gone;
  });
});

describe('tls config checks', () => {
  function configError(yaml: string): string {
    const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, `coreKeyFile: core.key.json\nadmin: { token: ${TOKEN} }\n${yaml}\n`);
    return detailOf('CONFIG_INVALID', () => loadCoreConfig(f));
  }

  it('names the field of a missing file, a file without PEM, a plain broker URL, an embedded TLS broker without the core credentials', () => {
    expect(configError('tls: { caFile: pki/nope.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.key }\nbroker: { url: "mqtts://127.0.0.1:8883" }')).toMatch(/^tls\.caFile: cannot read .*nope\.crt/);
    expect(configError('tls: { caFile: pki/ca.crt, certFile: pki/core-core-1.key, keyFile: pki/core-core-1.key }\nbroker: { url: "mqtts://127.0.0.1:8883" }')).toMatch(/^tls\.certFile: .* no PEM certificate/);
    expect(configError('tls: { caFile: pki/ca.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.crt }\nbroker: { url: "mqtts://127.0.0.1:8883" }')).toMatch(/^tls\.keyFile: .* no PEM private key/);
    expect(configError('tls: { caFile: pki/ca.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.key }\nbroker: { url: "mqtt://127.0.0.1:1883" }')).toMatch(/^tls: needs an mqtts:\/\//);
    expect(configError('broker: { embedded: { tls: { certFile: pki/broker-b1.crt, keyFile: pki/broker-b1.key } } }')).toMatch(/^broker\.embedded\.tls: needs tls\.caFile/);
    expect(configError('tls: { caFile: pki/ca.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.key, pass: x }')).toMatch(/^tls\.pass: unknown field/);
    // The client speaks MQTT over TCP and TLS only: a WebSocket URL would fail at start, so it fails here.
    expect(configError('broker: { url: "wss://broker.example/mqtt" }')).toMatch(/^broker\.url: an mqtt:\/\/ or mqtts:\/\/ URL expected/);
  });

  it('an external mqtts:// broker takes the core credentials', () => {
    const f = join(dir, 'ext.yaml');
    writeFileSync(f, `coreKeyFile: core.key.json\nadmin: { token: ${TOKEN} }\nbroker: { url: "mqtts://broker.example:8883" }\ntls: { caFile: pki/ca.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.key }\n`);
    const c = loadCoreConfig(f);
    expect(c.tls?.cert).toBe(read('core-core-1.crt'));
    expect(c.tls?.ca).toBe(read('ca.crt'));
  });
});
