// NodeDevice with `transport: 'modem'`: MQTT goes through the modem's own MQTT client over AT
// (QMT, CMQTT, SM, UMQTT), not MQTT.js. Everything is real: the hardware/ modem emulator of each
// dialect (its MQTT client connects to the host and port the AT commands name), an embedded aedes
// broker, a CoreValidator and an EdgeAgent running the template's fn service as a child process.
// One small world for the whole file; one device (own IMSI) per dialect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreValidator, silentLogger, startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator';
import { EdgeAgent } from '@simedge/edge-agent';
import { ModemEmulator, NetworkSim, duplexPair } from '@simedge/hardware';
import { NodeDevice } from '../src/adapter/node/index.js';
import type { Dialect } from '../src/core/lifecycle.js';
import { encodeCbor } from '../src/wire/cbor.js';
import { sign1 } from '../src/wire/cose.js';
import { generateKeyPair } from '../src/wire/ed25519.js';
import type { Template } from '../src/wire/template.js';

const CELL = { id: '01A2D101', plmn: '24001', tac: '0A01', ci: '01A2D101' };
const FN = 'function handle(input, state) { state.n = (state.n || 0) + 1; return { n: state.n, twice: input.x * 2 }; }\n';
const DIALECTS: Array<{ d: Dialect; pub: string; n: number }> = [
  { d: 'bg96', pub: 'AT+QMTPUBEX=', n: 1 },
  { d: 'sim7600', pub: 'AT+CMQTTPAYLOAD=', n: 2 },
  { d: 'sim7080', pub: 'AT+SMPUB=', n: 3 },
  { d: 'sara-r5', pub: 'AT+UMQTTC=9,', n: 4 },
];
const imsiOf = (n: number) => `24001123400000${n}`;
const iccidOf = (n: number) => `894601123400000${n}0`;

let broker: EmbeddedBroker;
let core: CoreValidator;
let edge: EdgeAgent;
let network: NetworkSim;
let template: Uint8Array;
const stops: Array<() => unknown> = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  stops.push(() => broker.close());
  const coreKey = generateKeyPair();
  const mfr = generateKeyPair();
  core = new CoreValidator({ brokerUrl: broker.url, coreKey: { kid: 'core-1', seed: coreKey.seed }, log: silentLogger });
  // The store API may be sync or async depending on the backend: await works for both.
  await core.store.addTrustKey({ kid: 'acme-2026', publicKey: mfr.publicKey, mfr: 'acme' });
  await core.store.setCellEdge(CELL.id, 'edge-a');
  for (const { n } of DIALECTS) await core.store.addSubscriber({ imsi: imsiOf(n), iccid: iccidOf(n) });
  await core.start();
  stops.push(() => core.stop());
  edge = new EdgeAgent({ id: 'edge-a', brokerUrl: broker.url, coreKeys: [{ kid: 'core-1', publicKey: coreKey.publicKey }], cells: [CELL.id] });
  await edge.start();
  stops.push(() => edge.stop());
  network = new NetworkSim({ cells: [CELL] });
  network.on('attach', (ev) => void core.attach(ev));
  network.on('detach', (ev) => void core.detach(ev));
  const t = Math.floor(Date.now() / 1000);
  const tpl: Template = {
    v: 1, tid: 'acme.thermo', seq: 1, cls: 'acme/thermo-nb1', mfr: 'acme', iat: t - 60, exp: t + 86400,
    svc: [{ n: 'fn', share: 'device', art: new TextEncoder().encode(FN), res: { mem: 16 } }],
  };
  template = sign1(encodeCbor(tpl), 'acme-2026', mfr.seed);
});

afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

describe.each(DIALECTS)('NodeDevice over the modem\'s own MQTT: $d', ({ d, pub, n }) => {
  it('provisions through a real core and edge, uses the service and switches off (201-210)', async () => {
    const [modemSide, deviceSide] = duplexPair();
    const modem = new ModemEmulator({ sim: { imsi: imsiOf(n), iccid: iccidOf(n) }, network, cell: CELL.id, dialect: d as never });
    modem.connect(modemSide);
    const tx: string[] = [];
    const device = new NodeDevice({
      stream: deviceSide, brokerUrl: broker.url, template, dialect: d, transport: 'modem', timeoutMs: 10_000,
      atTrace: (dir, s) => { if (dir === 'tx') tx.push(s); },
    });
    try {
      const ready = await device.powerOn();
      expect(ready).toMatchObject({ edge: 'edge-a', svc: [{ n: 'fn' }] });
      expect(device.attachInfo).toMatchObject({ imsi: imsiOf(n), iccid: iccidOf(n), plmn: '24001', roaming: false });
      // hello and prov went out through the modem's publish command, to the broker named over AT.
      expect(tx.filter((c) => c.startsWith(pub)).length).toBeGreaterThanOrEqual(2);
      const port = new URL(broker.url).port;
      expect(tx.some((c) => c.includes('127.0.0.1') && c.includes(port)), 'broker host and port given over AT').toBe(true);
      await expect(device.use('fn', { x: 21 })).resolves.toEqual({ n: 1, twice: 42 });
      const terms = await device.switchOff();
      expect(terms).toEqual([{ t: 'term', pid: ready.pid, why: expect.any(String) as string }]);
      expect(tx.at(-1)?.trim()).toBe('AT+CFUN=0'); // MQTT closed first, then the radio
      expect(edge.instances().filter((i) => i.pid === ready.pid)).toEqual([]);
    } finally {
      device.close();
      modem.close();
    }
  });
});

describe('NodeDevice transport option', () => {
  it('refuses transport \'modem\' for a modem without internal MQTT, and an unknown transport', () => {
    const [, deviceSide] = duplexPair();
    const base = { stream: deviceSide, brokerUrl: 'mqtt://127.0.0.1:1883', template: new Uint8Array([1]) };
    expect(() => new NodeDevice({ ...base, transport: 'modem' })).toThrow(TypeError);
    expect(() => new NodeDevice({ ...base, transport: 'modem', dialect: 'generic' })).toThrow(/internal MQTT/);
    expect(() => new NodeDevice({ ...base, transport: 'lora' as 'ip' })).toThrow(TypeError);
    expect(() => new NodeDevice({ ...base, brokerUrl: 'http://x' })).toThrow(TypeError);
  });

  it('takes an mqtts:// broker and TLS credentials over IP only (the modem path here has no TLS)', () => {
    const [, deviceSide] = duplexPair();
    const tls = { ca: 'ca-pem', cert: 'cert-pem', key: 'key-pem' };
    const base = { stream: deviceSide, brokerUrl: 'mqtts://127.0.0.1:8883', template: new Uint8Array([1]) };
    expect(() => new NodeDevice({ ...base, tls })).not.toThrow();
    expect(() => new NodeDevice({ ...base, transport: 'modem', dialect: 'bg95' })).toThrow(/mqtt:\/\/host:port, got mqtts:/);
    expect(() => new NodeDevice({ ...base, brokerUrl: 'mqtt://127.0.0.1:1883', transport: 'modem', dialect: 'bg95', tls })).toThrow(/tls needs transport 'ip'/);
  });
});
