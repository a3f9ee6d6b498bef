// The edge daemon over mutual TLS, configured by file alone: a PKI made with the real `simedge pki`
// commands, an embedded broker speaking mqtts:// with client certificates and the topic ACL, and
// an edge config naming the CA and the edge's own certificate. The edge's online status and its
// answer to a signed deploy reach a core client that holds the core's certificate, so the edge
// connected, subscribed and published through mutual TLS under the ACL. A config with another
// role's certificate, or TLS over a plain URL, is refused before anything starts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { main, writeKeyPair, type WrittenKeyPair } from '@simedge/device-sdk/tools';
import { decodeEdgeEvent, decodeStatus, encodeMsg, sign1, topics, type EdgeEvent, type EdgeStatus } from '@simedge/device-sdk/wire';
import { loadEdgeConfig } from '../src/daemon-config.js';
import { runEdge, silentLog, type RunningEdge } from '../src/daemon.js';
import { deployOrder, fnService } from './helpers.js';
import { detailOf } from '../../test/support/errors.js';

const EDGE = 'edge-a';
const GUARD_MS = 8000;
const dir = mkdtempSync(join(tmpdir(), 'simedge-edge-tls-'));
let broker: EmbeddedBroker | undefined;
let edge: RunningEdge | undefined;
let core: MqttClient | undefined;
let coreKey: WrittenKeyPair;

async function pki(args: string[]): Promise<void> {
  let err = '';
  const code = await main(['pki', ...args, '--dir', 'pki'], { out: () => {}, err: (t) => { err += t; }, cwd: dir });
  if (code !== 0) throw new Error(`simedge pki ${args.join(' ')}: ${err}`);
}
const read = (f: string) => readFileSync(join(dir, 'pki', f), 'utf8');

function configError(yaml: string): string {
  const f = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, `id: ${EDGE}\ncoreKeys: [ { publicKeyFile: core.pub.json } ]\n${yaml}\n`);
  return detailOf('CONFIG_INVALID', () => loadEdgeConfig(f, {}));
}

beforeAll(async () => {
  await pki(['init']);
  await pki(['issue', '--role', 'broker', '--id', 'b1', '--ip', '127.0.0.1']);
  await pki(['issue', '--role', 'edge', '--id', EDGE]);
  await pki(['issue', '--role', 'core', '--id', 'core-1']);
  coreKey = writeKeyPair(join(dir, 'core.key.json'), 'core-1');
  broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, tls: { ca: read('ca.crt'), cert: read('broker-b1.crt'), key: read('broker-b1.key') }, acl: true });
});

afterAll(async () => {
  if (core) await endMqtt(core, true);
  await edge?.stop();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('simedge edge run with tls in its config', () => {
  it('connects through mutual TLS under the topic ACL: online status, signed deploy answered', async () => {
    const url = broker!.url;
    expect(url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    core = await connectMqtt(url, { clientId: 'core-1', ca: read('ca.crt'), cert: read('core-core-1.crt'), key: read('core-core-1.key') });
    const statuses: EdgeStatus[] = [];
    const events: EdgeEvent[] = [];
    const seen = new Set<() => void>();
    core.on('message', (topic, payload) => {
      if (topic === topics.edgeStatus(EDGE)) statuses.push(decodeStatus(payload));
      if (topic === topics.edgeEvents(EDGE)) events.push(decodeEdgeEvent(payload));
      for (const f of seen) f();
    });
    const until = <T>(what: string, probe: () => T | undefined): Promise<T> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { seen.delete(check); reject(new Error(`timed out waiting for ${what}`)); }, GUARD_MS);
      const check = (): void => {
        const v = probe();
        if (v === undefined) return;
        clearTimeout(timer);
        seen.delete(check);
        resolve(v);
      };
      seen.add(check);
      check();
    });
    await core.subscribeAsync([topics.edgeStatus(EDGE), topics.edgeEvents(EDGE)], { qos: 1 });

    const config = join(dir, 'edge.yaml');
    writeFileSync(config, [
      `id: ${EDGE}`,
      `broker: { url: "${url}" }`,
      'tls: { caFile: pki/ca.crt, certFile: pki/edge-edge-a.crt, keyFile: pki/edge-edge-a.key }',
      'coreKeys: [ { publicKeyFile: core.pub.json } ]',
      'stateDir: edge-state',
    ].join('\n'));
    edge = await runEdge(loadEdgeConfig(config, {}), { log: silentLog });
    expect(edge.stateDir).toBe(join(dir, 'edge-state'));
    await until('online status', () => statuses.find((s) => s.online));

    const order = deployOrder(EDGE, [fnService('function handle() { return 1; }')]);
    await core.publishAsync(topics.edgeOrders(EDGE), Buffer.from(sign1(encodeMsg(order), 'core-1', coreKey.seed)), { qos: 1 });
    await until('ready', () => events.find((e) => e.oid === order.oid && e.t === 'ready'));
    expect(events.filter((e) => e.oid === order.oid).map((e) => e.t)).toEqual(['rcvd', 'ready']);

    await edge.stop();
    await until('offline status', () => statuses.find((s) => !s.online));
  });
});

describe('edge tls config checks', () => {
  it('names the field: a certificate of another role, a key where a certificate belongs, a plain broker URL', () => {
    const mqtts = 'broker: { url: "mqtts://127.0.0.1:8883" }';
    expect(configError(`${mqtts}\ntls: { caFile: pki/ca.crt, certFile: pki/core-core-1.crt, keyFile: pki/core-core-1.key }`))
      .toMatch(/^tls\.certFile: .*core-core-1\.crt is issued to urn:simedge:core:core-1, not urn:simedge:edge:edge-a/);
    expect(configError(`${mqtts}\ntls: { caFile: pki/ca.crt, certFile: pki/edge-edge-a.key, keyFile: pki/edge-edge-a.key }`)).toMatch(/^tls\.certFile: .* no PEM certificate/);
    expect(configError(`${mqtts}\ntls: { caFile: pki/ca.crt, certFile: pki/edge-edge-a.crt, keyFile: pki/edge-edge-a.crt }`)).toMatch(/^tls\.keyFile: .* no PEM private key/);
    expect(configError('broker: { url: "mqtt://127.0.0.1:1883" }\ntls: { caFile: pki/ca.crt, certFile: pki/edge-edge-a.crt, keyFile: pki/edge-edge-a.key }')).toMatch(/^tls: needs an mqtts:\/\//);
    expect(configError(`${mqtts}\ntls: { caFile: pki/ca.crt, certFile: pki/edge-edge-a.crt, keyFile: pki/edge-edge-a.key, pass: x }`)).toMatch(/^tls\.pass: unknown field/);
  });
});
