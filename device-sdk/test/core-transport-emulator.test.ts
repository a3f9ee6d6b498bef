// The modem-internal MQTT drivers and the IoT SAFE client against the hardware/ modem emulator
// (each vendor dialect, its emulated SIM and applet) with a real embedded broker (aedes): a real
// MQTT.js client on the other side sends and receives binary payloads; link loss comes from the
// emulator dropping its broker connection. (STYLE #12: one contract, every dialect.)
import { createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import { iotSafeSign } from '../src/core/iotsafe.js';
import type { Dialect } from '../src/core/lifecycle.js';
import { attach } from '../src/core/modem.js';
import { modemMqtt } from '../src/core/transport/index.js';
import type { ModemMqttTransport } from '../src/core/transport/types.js';
import { decodeDown, encodeMsg } from '../src/wire/messages.js';
import { connectMqtt, endMqtt, nodePlatform, type MqttClient } from '../src/adapter/node/index.js';
import { emulatorRig } from './emulator-rig.js';
import { Queue, nextMessage } from './waiters.js';

const IMSI = '244051234567890';
const ICCID = '8935805123456789012';
const UP = `simedge/v1/d/${IMSI}/up`;
const DOWN = `simedge/v1/d/${IMSI}/down`;
/** NUL, CR LF, Ctrl-Z, a prompt look-alike, a quote, 0xFF. */
const NASTY = new Uint8Array([0x00, 0x0d, 0x0a, 0x1a, 0x3e, 0x20, 0x22, 0xff, 0x3e, 0x0d, 0x0a, 0x2c, 0x41]);
/** Lone CR / LF: raw receive forms (QMTRECV, UMQTTC 6) rebuild them from the line terminator. */
const LONE = new Uint8Array([0x0a, 0x41, 0x0d, 0x42, 0x0d, 0x0d, 0x0a, 0x0a, 0x3e, 0x20, 0x00, 0x1a]);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/** `max`: the largest publish the driver takes (QMT_MAX_PAYLOAD, ...; the R410M's hex form must fit one 1024-character command line). */
const DIALECTS: Array<{ d: Dialect; pub: string; max: number }> = [
  { d: 'bg96', pub: 'AT+QMTPUBEX=', max: 4096 }, // raw +QMTRECV: a lone CR/LF is rebuilt from the line terminator
  { d: 'sim7600', pub: 'AT+CMQTTPAYLOAD=', max: 10240 },
  { d: 'sim7080', pub: 'AT+SMPUB=', max: 1024 },
  { d: 'sara-r5', pub: 'AT+UMQTTC=9,', max: 1024 }, // raw +UMQTTC: 6 read form, rebuilt like bg96
  { d: 'sara-r4', pub: 'AT+UMQTTC=2,', max: (1024 - 'AT+UMQTTC=2,1,0,1,"","'.length - UP.length - 1) >> 1 }, // the R410M has no binary publish: hex
];

const env = emulatorRig();

async function rig(dialect: Dialect) {
  const broker = await env.broker();
  const { modem, host } = env.modem({ sim: { imsi: IMSI, iccid: ICCID }, dialect: dialect as never, broker: broker.url });
  const tx: string[] = [];
  const at = new AtEngine(host, nodePlatform, { defaultTimeoutMs: 3000, maxLine: 20000, trace: (dir, s) => { if (dir === 'tx') tx.push(s); } });
  const info = await attach(at, nodePlatform, { dialect, registerTimeoutMs: 5000 });
  const peer: MqttClient = await connectMqtt(broker.url, { clientId: 'peer' });
  env.defer(() => endMqtt(peer, true));
  const t: ModemMqttTransport = modemMqtt(at, nodePlatform, dialect, { backoff: { baseMs: 5, maxMs: 20, attempts: 5 } });
  env.defer(() => t.close());
  return { modem, at, info, peer, t, tx };
}

describe.each(DIALECTS)('against the emulator: $d', ({ d, pub, max }) => {
  it(`a payload over ${max} bytes is MESSAGE_TOO_LARGE (final: not worth a retry) and never reaches the modem; the largest that fits arrives`, async () => {
    const { peer, t, tx } = await rig(d);
    await t.connect('broker.simedge.test', 1883, IMSI);
    await peer.subscribeAsync(UP, { qos: 1 });
    const sent = tx.length;
    await expect(t.publish(UP, new Uint8Array(max + 1).fill(0x41))).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await expect(t.publish(UP, new Uint8Array(0))).rejects.toThrow(RangeError); // a bug of the caller, not a size
    expect(tx.length).toBe(sent);
    const fits = new Uint8Array(max).map((_, i) => (i * 31 + 7) & 0xff);
    const up = nextMessage(peer, UP);
    await t.publish(UP, fits);
    expect(new Uint8Array(await up)).toEqual(fits);
  });

  it('attaches with the vendor ICCID command, then moves binary payloads both ways through a real broker', async () => {
    const { info, peer, t, tx } = await rig(d);
    expect(info.iccid).toBe(ICCID);
    const inbox = new Queue<Uint8Array>();
    await t.connect('broker.simedge.test', 1883, IMSI);
    await t.subscribe(DOWN, inbox.push);
    await peer.subscribeAsync(UP, { qos: 1 });

    const up = nextMessage(peer, UP);
    await t.publish(UP, NASTY);
    expect(await up).toEqual(NASTY);
    expect(tx.some((c) => c.startsWith(pub)), pub).toBe(true);

    await peer.publishAsync(DOWN, Buffer.from(NASTY), { qos: 1 });
    expect(await inbox.next()).toEqual(NASTY);
    await peer.publishAsync(DOWN, Buffer.from(LONE), { qos: 1 });
    expect(await inbox.next()).toEqual(LONE);
  });

  it('reconnects after the modem reports the link lost, and keeps its subscription', async () => {
    const { modem, peer, t } = await rig(d);
    const inbox = new Queue<Uint8Array>();
    await t.connect('broker.simedge.test', 1883, IMSI);
    await t.subscribe(DOWN, inbox.push);
    const lost = new Promise<string>((resolve) => t.onLinkLost(resolve));
    modem.dropLink();
    expect(await lost).toBeTruthy();
    await peer.subscribeAsync(UP, { qos: 1 });
    const up = nextMessage(peer, UP);
    await t.publish(UP, NASTY); // waits for the reconnect
    expect(await up).toEqual(NASTY);
    await peer.publishAsync(DOWN, Buffer.from(NASTY), { qos: 1 });
    expect(await inbox.next()).toEqual(NASTY);
  });
});

/** Nonces whose bytes cut a raw receive URC early in every way: lone LF, lone CR, both orders, at the ends. */
const NONCES = [
  [0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x0d],
  [0x0d, 0x41, 0x0a, 0x42, 0x0a, 0x0d, 0x22, 0x0d, 0x0d, 0x22, 0x0a, 0x0a, 0x3e, 0x20, 0x0d, 0x0a],
].map((n) => new Uint8Array(n));

describe.each(['bg96', 'sara-r5', 'sara-r4'] as const)('a chal whose nonce holds lone CR and LF bytes: %s', (d) => {
  it('arrives byte-exact through the raw receive URC (the engine reports each line terminator)', async () => {
    const { peer, t } = await rig(d);
    const inbox = new Queue<Uint8Array>();
    await t.connect('broker.simedge.test', 1883, IMSI);
    await t.subscribe(DOWN, inbox.push);
    for (const nonce of NONCES) {
      const chal = encodeMsg({ t: 'chal', rid: '0123456789abcdef', nonce, ttl: 30 });
      await peer.publishAsync(DOWN, Buffer.from(chal), { qos: 1 });
      const got = await inbox.next();
      expect(got).toEqual(chal);
      expect(decodeDown(got)).toEqual({ t: 'chal', rid: '0123456789abcdef', nonce, ttl: 30 });
    }
  });
});

describe('IoT SAFE against the emulated SIM applet', () => {
  for (const [fmt, quoted] of [['raw', true], ['der', false]] as const) {
    it(`signs with the SIM key (${fmt} signature, ${quoted ? 'quoted' : 'unquoted'} +CSIM)`, async () => {
      const { modem, host } = env.modem({ sim: { imsi: IMSI, iccid: ICCID, iotSafeSignatureFormat: fmt }, csimQuoted: quoted });
      const at = new AtEngine(host, nodePlatform, { defaultTimeoutMs: 3000 });
      await attach(at, nodePlatform, { registerTimeoutMs: 5000 });
      const msg = new Uint8Array([1, 2, 3, 0x0d, 0x0a]);
      const sig = await iotSafeSign(at, msg, sha256, { label: 'SIGN' });
      expect(verify('sha256', msg, { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
      // The channel was closed: a second signature opens channel 1 again and works.
      const sig2 = await iotSafeSign(at, msg, sha256);
      expect(verify('sha256', msg, { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, sig2)).toBe(true);
    });
  }
});
