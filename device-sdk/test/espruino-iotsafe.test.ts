// The Espruino bundle with the IoT SAFE client (dist/espruino/simedge-iotsafe.min.js) proves its
// SIM to a REAL core whose policy requires the proof (DESIGN.md Trust: the SIM signs
// nonce ‖ SHA-256(template) ‖ IMSI with its P-256 key, the MCU only moves APDUs through AT+CSIM).
// The built bundle runs in QuickJS with only Espruino's globals plus `require('crypto').SHA256`
// (test/espruino-vm.ts), wired byte for byte to the hardware/ modem emulator in the bg95 dialect:
// its emulated SIM carries the IoT SAFE applet, its modem-internal MQTT client (QMT, hex receive)
// reaches the real embedded broker, where the core validator (requireSimProof) and an edge agent
// serve the device. The SIM's key is registered with the core as an operator would, from the card
// vendor's public key (here `modem.iotSafePublicKey`).
//
// Also: the bundle without the client (simedge.min.js) refuses the option, and so does this one
// without SHA-256, both with a TypeError from start() before a byte reaches the modem.
import { createHash, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoreValidator, silentLogger, startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator';
import { EdgeAgent } from '@simedge/edge-agent';
import { ModemEmulator, NetworkSim, duplexPair, type SignatureFormat } from '@simedge/hardware';
import { buildEspruino, buildEspruinoIotSafe, type EspruinoBuild } from '../scripts/build-espruino.js';
import { connectMqtt, endMqtt } from '../src/adapter/node/index.js';
import { encodeCbor, utf8Encode } from '../src/wire/cbor.js';
import { sign1 } from '../src/wire/cose.js';
import { generateKeyPair } from '../src/wire/ed25519.js';
import { decodeUp, type Prov, type UpMsg } from '../src/wire/messages.js';
import type { ByteStream } from '../src/core/stream.js';
import { espruinoVm, type EspruinoVm } from './espruino-vm.js';

const CELL = { id: '01A2D101', plmn: '24405', tac: '0A01', ci: '01A2D101' };
const SIM = { imsi: '244051234567001', iccid: '8935805123456700100' };
const binStr = (b: Uint8Array): string => String.fromCharCode(...b);
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

let iotSafeBundle: EspruinoBuild;
let defaultBundle: EspruinoBuild;
beforeAll(async () => {
  [iotSafeBundle, defaultBundle] = await Promise.all([buildEspruinoIotSafe(), buildEspruino()]);
});

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

interface Bench {
  broker: EmbeddedBroker;
  core: CoreValidator;
  modem: ModemEmulator;
  template: Uint8Array;
  /** The device's end of the serial line to the modem. */
  serial: ByteStream;
  /** Every up message the broker carried, decoded. */
  up: UpMsg[];
}

/** Broker, core (policy requireSimProof, the SIM registered with `simKey`), edge-a for the cell,
 *  the network and a bg95 modem with the SIM, and a watcher of the device's up topic. */
async function bench(simKey: 'sim' | 'other' | 'none', format: SignatureFormat = 'raw'): Promise<Bench> {
  const broker = await startEmbeddedBroker();
  stops.push(() => broker.close());
  const coreKey = generateKeyPair();
  const mfr = generateKeyPair();
  const core = new CoreValidator({
    brokerUrl: broker.url, coreKey: { kid: 'core-1', seed: coreKey.seed }, policy: { requireSimProof: true }, log: silentLogger,
  });
  await core.store.addTrustKey({ kid: 'acme-1', publicKey: mfr.publicKey, mfr: 'acme' });
  await core.store.setCellEdge(CELL.ci, 'edge-a');
  await core.start();
  stops.push(() => core.stop());
  const edge = new EdgeAgent({ id: 'edge-a', brokerUrl: broker.url, coreKeys: [{ kid: 'core-1', publicKey: coreKey.publicKey }], cells: [CELL.ci], log: () => undefined });
  await edge.start();
  stops.push(() => edge.stop());

  const network = new NetworkSim({ cells: [CELL] });
  network.on('attach', (ev) => core.attach(ev)); // the core learns the attach directly (no RADIUS here)
  const [modemSide, deviceSide] = duplexPair();
  const modem = new ModemEmulator({ sim: { ...SIM, iotSafeSignatureFormat: format }, network, cell: CELL.id, dialect: 'bg95' });
  modem.connect(modemSide);
  stops.push(() => modem.close());
  const key = simKey === 'sim' ? modem.iotSafePublicKey : simKey === 'other' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey : undefined;
  await core.store.addSubscriber({ imsi: SIM.imsi, iccid: SIM.iccid, ...(key ? { simKey: spki(key) } : {}) });

  const t = Math.floor(Date.now() / 1000);
  const template = sign1(encodeCbor({
    v: 1, tid: 'acme.safe', seq: 1, cls: 'acme/thermo-nb1', mfr: 'acme', iat: t - 60, exp: t + 86400,
    svc: [{ n: 'fn', share: 'device', art: utf8Encode('function handle(input) { return input; }\n'), res: { mem: 16 } }],
  }), 'acme-1', mfr.seed);

  const up: UpMsg[] = [];
  const watcher = await connectMqtt(broker.url, { clientId: 'watcher' });
  stops.push(() => endMqtt(watcher, true));
  watcher.on('message', (_t, payload) => up.push(decodeUp(new Uint8Array(payload))));
  await watcher.subscribeAsync(`simedge/v1/d/${SIM.imsi}/up`, { qos: 1 });
  return { broker, core, modem, template, serial: deviceSide, up };
}

const spki = (k: KeyObject): Uint8Array => new Uint8Array(k.export({ format: 'der', type: 'spki' }));

/** The bundle in a fresh VM with Espruino's crypto module, wired to the bench's modem; `sent`
 *  collects what the device wrote to the modem. */
async function device(b: Bench, bundle: EspruinoBuild): Promise<EspruinoVm & { sent: string[] }> {
  const w = Object.assign(await espruinoVm({ crypto: true }), { sent: [] as string[] });
  stops.push(() => w.dispose());
  w.onSerialWrite = (s) => {
    w.sent.push(s);
    b.serial.write(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  };
  b.serial.onReadable((bytes) => w.serialData(binStr(bytes)));
  w.run(bundle.code);
  w.run(`var TPL = ${JSON.stringify(binStr(b.template))};`);
  return w;
}

/** Firmware as a user writes it on Espruino: `opts` are the IoT SAFE options. */
function firmware(b: Bench, opts: string): string {
  return `
var se = SimEdge.start({ serial: Serial1, template: TPL, broker: '127.0.0.1:${b.broker.port}', dialect: 'quectel', ${opts}
  timeoutMs: 8000, retry: { attempts: 0 },
  onReady: function (r, info) { host('ready', JSON.stringify({ pid: r.pid, edge: r.edge, imsi: info.imsi, state: se.state() })); },
  onTerm: function (t) { host('term', JSON.stringify(t)); },
  onError: function (e) { host('error', e.code + '|' + e.rejCode + '|' + (e instanceof TypeError)); }
});
function stop() { se.stop().then(function (t) { host('stopped', JSON.stringify(t)); }, function (e) { host('stopped', 'error ' + e.code); }); }`;
}

const provs = (b: Bench): Prov[] => b.up.filter((m): m is Prov => m.t === 'prov');

/** The proof verifies with the SIM's key over nonce ‖ SHA-256(template) ‖ IMSI. */
function verifiesWithSim(b: Bench, p: Prov): boolean {
  const msg = Buffer.concat([p.nonce, sha256(p.tpl), Buffer.from(p.imsi)]);
  return verify('sha256', msg, { key: b.modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, p.proof as Uint8Array);
}

describe('Espruino bundle with IoT SAFE (simedge-iotsafe.min.js) against a core with requireSimProof', () => {
  it('[DESIGN Trust, GSMA IoT.05] is accepted with the SIM key registered: every prov carries the SIM proof; ready, then bye → term', async () => {
    const b = await bench('sim');
    const w = await device(b, iotSafeBundle);
    w.run(firmware(b, `iotSafe: true, sha256: require('crypto').SHA256,`));

    const ready = JSON.parse(await w.waitEvent('ready', 20_000)) as { pid: string; edge: string; imsi: string; state: string };
    expect(ready).toMatchObject({ edge: 'edge-a', imsi: SIM.imsi, state: 'ready' });
    expect((await b.core.store.provisions()).find((p) => p.pid === ready.pid)?.state).toBe('COMPLETED');
    const [p] = provs(b);
    expect(p?.proof?.length).toBe(64); // raw r‖s
    expect(verifiesWithSim(b, p as Prov)).toBe(true);
    // The APDUs on the wire [TS27.007 §8.17] (first 5 bytes): MANAGE CHANNEL open, SELECT the
    // applet on channel 1, COMPUTE SIGNATURE init (session 1) and update (last block), GET
    // RESPONSE for the signature (61xx: a T=0 card), MANAGE CHANNEL close.
    const csim = [...w.sent.join('').matchAll(/AT\+CSIM=\d+,"([0-9A-F]+)"/g)].map((m) => (m[1] as string).substring(0, 10));
    expect(csim).toEqual(['0070000001', '01A4040007', '812A00010C', '812B800122', '01C0000042', '00708001']);

    w.run('stop()');
    expect(JSON.parse(await w.waitEvent('stopped', 10_000))).toEqual([{ t: 'term', pid: ready.pid, why: 'bye' }]);
    expect(w.events.filter((e) => e.name === 'error')).toEqual([]);
  });

  it('[GSMA IoT.05] signs with the key named by label in another session, and takes a DER signature from the applet', async () => {
    const b = await bench('sim', 'der');
    const w = await device(b, iotSafeBundle);
    w.run(firmware(b, `iotSafe: { label: 'SIGN', session: 2 }, sha256: require('crypto').SHA256,`));
    expect(JSON.parse(await w.waitEvent('ready', 20_000))).toMatchObject({ edge: 'edge-a', state: 'ready' });
    const [p] = provs(b);
    expect(p?.proof?.length).toBe(64); // DER from the applet, raw r‖s on the wire
    expect(verifiesWithSim(b, p as Prov)).toBe(true);
    w.run('stop()');
    await w.waitEvent('stopped', 10_000);
  });

  it('is refused with BAD_SIM_PROOF (final, not retried) when another key is registered for the SIM', async () => {
    const b = await bench('other');
    const w = await device(b, iotSafeBundle);
    w.run(firmware(b, `iotSafe: true, sha256: require('crypto').SHA256, retry: { attempts: 3, baseMs: 10 },`));
    expect(await w.waitEvent('error', 20_000)).toBe('REJECTED|BAD_SIM_PROOF|false');
    const [p] = provs(b);
    expect(verifiesWithSim(b, p as Prov)).toBe(true); // a good proof, for a key the core does not hold
    expect(b.up.map((m) => m.t)).toEqual(['hello', 'prov']);
    expect(await b.core.store.provisions()).toEqual([]);
    expect(w.events.filter((e) => e.name === 'ready')).toEqual([]);
  });

  it('reports a key the applet does not have as IOTSAFE_FAILED through onError, and sends no prov', async () => {
    const b = await bench('sim');
    const w = await device(b, iotSafeBundle);
    w.run(firmware(b, `iotSafe: { label: 'NOPE' }, sha256: require('crypto').SHA256,`));
    expect(await w.waitEvent('error', 20_000)).toBe('IOTSAFE_FAILED|undefined|false');
    expect(b.up.map((m) => m.t)).toEqual(['hello']);
  });

  it('refuses a malformed key option with a TypeError through onError before anything is sent', async () => {
    const b = await bench('sim');
    const w = await device(b, iotSafeBundle);
    w.run(firmware(b, `iotSafe: { session: 300 }, sha256: require('crypto').SHA256,`));
    expect(await w.waitEvent('error', 20_000)).toBe('undefined|undefined|true');
    expect(b.up).toEqual([]);
  });

  it('without sha256, start() throws a TypeError before a byte reaches the modem', async () => {
    const b = await bench('sim');
    const w = await device(b, iotSafeBundle);
    let wrote = 0;
    w.onSerialWrite = () => void wrote++;
    w.run(`try { ${firmware(b, 'iotSafe: true,')} host('started'); } catch (e) { host('threw', (e instanceof TypeError) + ''); }`);
    expect(await w.waitEvent('threw', 10)).toBe('true');
    expect(wrote).toBe(0);
  });

  it('without the option, the same bundle sends no proof: a core with requireSimProof refuses it (BAD_SIM_PROOF)', async () => {
    const b = await bench('sim');
    const w = await device(b, iotSafeBundle);
    w.run(firmware(b, ''));
    expect(await w.waitEvent('error', 20_000)).toBe('REJECTED|BAD_SIM_PROOF|false');
    expect(provs(b)[0]?.proof).toBeUndefined();
  });
});

describe('Espruino bundle without IoT SAFE (simedge.min.js)', () => {
  it('refuses the iotSafe option: start() throws a TypeError before a byte reaches the modem, rather than provision without proofs', async () => {
    const b = await bench('sim');
    const w = await device(b, defaultBundle);
    let wrote = 0;
    w.onSerialWrite = () => void wrote++;
    w.run(`try { ${firmware(b, `iotSafe: true, sha256: require('crypto').SHA256,`)} host('started'); } catch (e) { host('threw', (e instanceof TypeError) + ''); }`);
    expect(await w.waitEvent('threw', 10)).toBe('true');
    expect(wrote).toBe(0);
    expect(defaultBundle.code).not.toContain('AT+CSIM');
  });
});
