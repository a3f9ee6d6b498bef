// IoT SAFE client [GSMA IoT.05-A03] over AT+CSIM [TS27.007 §8.17] against a scripted applet that
// signs with a real P-256 key; every signature is verified with node:crypto.
import { createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import { iotSafeProver, iotSafeSign, proofMessage, provisionProof } from '../src/core/iotsafe.js';
import { parseCsim } from '../src/core/iotsafe/csim.js';
import { derToRaw } from '../src/core/iotsafe/der.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { memoryPair, ScriptedModem } from './core-pair.js';
import { FakeIotSafeApplet, rawToDer, type AppletOptions } from './core-iotsafe-applet.js';

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const MSG = new Uint8Array([0x00, 0x0d, 0x0a, 0x1a, 0x3e, 0xff, 1, 2, 3]);

function setup(o: AppletOptions = {}) {
  const applet = new FakeIotSafeApplet(o);
  const [a, b] = memoryPair();
  const modem = new ScriptedModem(b, applet.script);
  const at = new AtEngine(a, nodePlatform, { defaultTimeoutMs: 2000 });
  return { applet, modem, at };
}

function verifies(applet: FakeIotSafeApplet, msg: Uint8Array, sig: Uint8Array): boolean {
  return verify('sha256', msg, { key: applet.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
}

describe('iotSafeSign', () => {
  it('opens a channel, selects the applet, signs, closes the channel', async () => {
    const { applet, at } = setup();
    const sig = await iotSafeSign(at, MSG, sha256);
    expect(sig.length).toBe(64);
    expect(verifies(applet, MSG, sig)).toBe(true);
    const h = Buffer.from(sha256(MSG)).toString('hex').toUpperCase();
    expect(applet.apdus).toEqual([
      '0070000001',
      '01A4040007A0000005590010', // class byte carries channel 1
      '812A00010C840101A10103910101920104',
      `812B8001229E20${h}`,
      '00708001',
    ]);
    expect(applet.open.size).toBe(0);
  });

  for (const o of [
    { name: 'DER signature', sigForm: 'der' as const },
    { name: 'unquoted +CSIM replies', unquoted: true },
    { name: '61xx then one GET RESPONSE', chunk: 255 },
    { name: '61xx chained over several GET RESPONSEs (DER)', chunk: 20, sigForm: 'der' as const },
  ]) {
    it(`verifies with ${o.name}`, async () => {
      const { applet, at } = setup(o);
      const sig = await iotSafeSign(at, MSG, sha256, { label: 'iot' });
      expect(verifies(applet, MSG, sig)).toBe(true);
      if (o.chunk) expect(applet.apdus.filter((x) => x.startsWith('01C00000')).length).toBeGreaterThanOrEqual(o.chunk < 66 ? 3 : 1);
      expect(applet.closed).toEqual([1]);
    });
  }

  for (const [ins, sw, what] of [[0xa4, 0x6a82, 'select applet'], [0x2a, 0x6a88, 'compute signature init'], [0x2b, 0x6982, 'compute signature update']] as const) {
    it(`fails with IOTSAFE_FAILED and SW ${sw.toString(16)} at ${what}, and still closes the channel`, async () => {
      const { applet, at } = setup({ failIns: { [ins]: sw } });
      await expect(iotSafeSign(at, MSG, sha256)).rejects.toMatchObject({ code: 'IOTSAFE_FAILED', detail: `SW ${sw.toString(16).toUpperCase()} (${what})` });
      expect(applet.closed).toEqual([1]);
      expect(applet.open.size).toBe(0);
    });
  }

  it('closes the channel when the modem answers ERROR mid-way', async () => {
    const { applet, at } = setup({ atErrorIns: 0x2b });
    await expect(iotSafeSign(at, MSG, sha256)).rejects.toMatchObject({ code: 'IOTSAFE_FAILED' });
    expect(applet.closed).toEqual([1]);
  });

  it('fails without a close when no channel could be opened', async () => {
    const { applet, at } = setup({ failIns: { 0x70: 0x6a81 } });
    await expect(iotSafeSign(at, MSG, sha256)).rejects.toMatchObject({ code: 'IOTSAFE_FAILED', detail: 'SW 6A81 (open channel)' });
    expect(applet.apdus).toEqual(['0070000001']);
  });

  it('rejects bad arguments with TypeError before any APDU', () => {
    const { applet, at } = setup();
    expect(() => iotSafeSign(at, MSG, sha256, { label: 'x"y\n' })).toThrow(TypeError);
    expect(() => iotSafeSign(at, MSG, () => new Uint8Array(31))).toThrow(TypeError);
    expect(() => iotSafeSign(at, MSG, sha256, { keyId: new Uint8Array(0) })).toThrow(TypeError);
    // A label is 1..60 printable ASCII characters (checked by a loop: Espruino's RegExp has no {n,m}).
    for (const label of ['', 'x'.repeat(61), 'caf\u00e9', 'a\x7f', 'tab\t', 42 as unknown as string]) {
      expect(() => iotSafeSign(at, MSG, sha256, { label }), JSON.stringify(label)).toThrow(TypeError);
    }
    for (const session of [-1, 256, 1.5]) expect(() => iotSafeSign(at, MSG, sha256, { session })).toThrow(TypeError);
    expect(applet.apdus).toEqual([]);
  });

  it('takes a label of 60 printable characters, space and ~ included, as TLV 74', async () => {
    const { applet, at } = setup(); // this applet knows only the label "iot": 6A80, but the label went out
    const label = ' ~'.repeat(30);
    await expect(iotSafeSign(at, MSG, sha256, { label })).rejects.toMatchObject({ code: 'IOTSAFE_FAILED' });
    expect(applet.apdus[2]).toBe(`812A0001${(2 + 60 + 9).toString(16).toUpperCase()}743C${Buffer.from(label).toString('hex').toUpperCase()}A10103910101920104`);
  });
});

describe('iotSafeProver', () => {
  it('checks its arguments where it is made (TypeError), not at the first chal', () => {
    const { applet, at } = setup();
    expect(() => iotSafeProver(at, sha256, '240011234000001', { label: 'x'.repeat(61) })).toThrow(TypeError);
    expect(() => iotSafeProver(at, sha256, '240011234000001', { session: 300 })).toThrow(TypeError);
    expect(() => iotSafeProver(at, sha256, '240011234000001', { keyId: new Uint8Array(17) })).toThrow(TypeError);
    expect(() => iotSafeProver(at, undefined as unknown as typeof sha256, '240011234000001')).toThrow(TypeError);
    expect(() => iotSafeProver(at, sha256, '24001')).toThrow(TypeError);
    expect(applet.apdus).toEqual([]);
  });

  it('answers a chal with the proof over nonce ‖ SHA-256(template) ‖ IMSI', async () => {
    const { applet, at } = setup();
    const nonce = new Uint8Array(16).fill(3);
    const tpl = new Uint8Array([0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27]);
    const sig = await iotSafeProver(at, sha256, '240011234000001', { keyId: new Uint8Array([1]) })(nonce, tpl);
    expect(verifies(applet, Buffer.concat([nonce, sha256(tpl), Buffer.from('240011234000001')]), sig)).toBe(true);
    expect(applet.closed).toEqual([1]);
  });
});

describe('provisionProof', () => {
  it('signs nonce ‖ SHA-256(template) ‖ IMSI', async () => {
    const { applet, at } = setup({ sigForm: 'der' });
    const nonce = new Uint8Array(16).fill(9);
    const tpl = new Uint8Array([0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27]);
    const sig = await provisionProof(at, sha256, nonce, tpl, '240011234000001');
    const msg = Buffer.concat([nonce, sha256(tpl), Buffer.from('240011234000001')]);
    expect(Buffer.from(proofMessage(nonce, tpl, '240011234000001', sha256))).toEqual(msg);
    expect(verifies(applet, msg, sig)).toBe(true);
    expect(verifies(applet, Buffer.concat([nonce, sha256(tpl), Buffer.from('240011234000002')]), sig)).toBe(false);
  });
});

describe('reply and signature parsers', () => {
  it('takes +CSIM quoted and unquoted, and refuses a wrong length or odd hex', () => {
    expect(parseCsim('+CSIM: 6,"019000"')).toEqual({ data: new Uint8Array([1]), sw: 0x9000 });
    expect(parseCsim('+CSIM: 4,6A82')).toEqual({ data: new Uint8Array(0), sw: 0x6a82 });
    expect(parseCsim('+CSIM:4, "9000" ')).toEqual({ data: new Uint8Array(0), sw: 0x9000 });
    for (const l of ['+CSIM: 5,"019000"', '+CSIM: 2,"90"', '+CSIM: 3,"900"', '+CSIM: 4,"9G00"', '+CRSM: 4,"9000"',
      '+CSIM: 00004,"9000"', '+CSIM: 4,"9000",1', '+CSIM: ,"9000"', '+CSIM: 4', '+CSIM: x4,"9000"']) expect(parseCsim(l), l).toBeUndefined();
  });

  it('converts DER to raw r‖s, including short and zero-padded integers', () => {
    const raw = new Uint8Array(64);
    raw[31] = 5; // r = 5 (one-byte INTEGER)
    raw.fill(0xff, 32); // s with the top bit set (DER adds a 00)
    expect(derToRaw(rawToDer(raw), 32)).toEqual(raw);
    const der = rawToDer(raw);
    expect(() => derToRaw(der.subarray(0, der.length - 1), 32)).toThrow(/SEQUENCE/);
    expect(() => derToRaw(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 32)).toThrow(/INTEGER/);
  });
});
