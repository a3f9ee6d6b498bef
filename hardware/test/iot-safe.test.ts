// The emulated SIM's IoT SAFE applet driven with raw APDUs through AT+CSIM, as a microcontroller
// would [TS27.007 §8.17; GSMA IoT.05]: open a logical channel, select the applet, sign a
// SHA-256 and data, read the public key, close - signatures verified with node:crypto. Errors
// are status words, and hostile APDUs never break the card.
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemEmulator, NetworkSim, duplexPair, type SimProfile } from '../src/index.js';
import { UiccCard } from '../src/uicc/card.js';
import { IotSafeApplet } from '../src/uicc/iot-safe.js';
import { CELLS, SIM } from './fixtures.js';
import { Host } from './host.js';

let modems: ModemEmulator[] = [];
afterEach(() => { for (const m of modems) m.close(); modems = []; });

function make(sim: Partial<SimProfile> = {}, csimQuoted?: boolean): { host: Host; modem: ModemEmulator } {
  const network = new NetworkSim({ cells: CELLS });
  const [a, b] = duplexPair();
  const modem = new ModemEmulator({ sim: { ...SIM, ...sim }, network, cell: 'home-1', echo: false, ...(csimQuoted === undefined ? {} : { csimQuoted }) });
  modem.connect(a);
  modems.push(modem);
  return { host: new Host(b), modem };
}

const H = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex').toUpperCase();

/** One APDU through AT+CSIM; returns the response hex (data ‖ SW). */
async function apdu(host: Host, hex: string): Promise<string> {
  const r = await host.cmd(`AT+CSIM=${hex.length},"${hex}"`);
  expect(r.final).toBe('OK');
  const m = /^\+CSIM: (\d+),"([0-9A-F]+)"$/.exec(r.lines[0] ?? '');
  expect(m, r.lines[0]).not.toBeNull();
  expect(Number(m![1])).toBe(m![2]!.length);
  return m![2] as string;
}

async function openAndSelect(host: Host): Promise<number> {
  const open = await apdu(host, '0070000001');
  expect(open).toMatch(/^0[1-3]9000$/);
  const ch = Number.parseInt(open.slice(0, 2), 16);
  expect(await apdu(host, `0${ch}A4040007A0000005590010`)).toBe('9000');
  return ch;
}

/** COMPUTE SIGNATURE init with key id 01, mode 01, SHA-256 (two-byte form), ECDSA [IoT.05 §5.2.3]. */
const INIT_TLVS = '840101' + 'A10101' + '91020001' + '920104';

describe('IoT SAFE over AT+CSIM [GSMA IoT.05 §5; TS27.007 §8.17]', () => {
  it('signs a SHA-256 (tag 9E) with the SIM key: 61xx, GET RESPONSE tag 33 raw r‖s, verified by node:crypto', async () => {
    const { host, modem } = make();
    const ch = await openAndSelect(host);
    const message = Buffer.from('nonce ‖ sha256(template) ‖ imsi');
    const digest = createHash('sha256').update(message).digest();
    expect(await apdu(host, `8${ch}2A0000${(INIT_TLVS.length / 2).toString(16).padStart(2, '0')}${INIT_TLVS}`)).toBe('9000');
    expect(await apdu(host, `8${ch}2B800022` + '9E20' + H(digest))).toBe('6142');
    const resp = await apdu(host, `0${ch}C0000042`);
    expect(resp.slice(0, 4)).toBe('3340');
    expect(resp.slice(-4)).toBe('9000');
    const sig = Buffer.from(resp.slice(4, -4), 'hex');
    expect(verify('sha256', message, { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(verify('sha256', Buffer.from('other'), { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
    // one signature per session: a second update needs a new init
    expect(await apdu(host, `8${ch}2B800022` + '9E20' + H(digest))).toBe('6985');
    expect(await apdu(host, `0070800${ch}`)).toBe('9000'); // MANAGE CHANNEL close
    expect(await apdu(host, `8${ch}2A0000${(INIT_TLVS.length / 2).toString(16).padStart(2, '0')}${INIT_TLVS}`)).toBe('6881');
  });

  it('signs data (tag 9B, in two blocks) with a given PEM key, DER signature format, label "SIGN"', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const { host } = make({ iotSafeKey: pem, iotSafeSignatureFormat: 'der' });
    const ch = await openAndSelect(host);
    const label = H(Buffer.from('SIGN'));
    const tlvs = `7404${label}A10101910101920104`; // one-byte hash algorithm form, accepted too
    expect(await apdu(host, `8${ch}2A0001${(tlvs.length / 2).toString(16).padStart(2, '0')}${tlvs}`)).toBe('9000');
    const part1 = Buffer.from('hello, ');
    const part2 = Buffer.from('edge');
    expect(await apdu(host, `8${ch}2B0001${(part1.length + 2).toString(16).padStart(2, '0')}9B${part1.length.toString(16).padStart(2, '0')}${H(part1)}`)).toBe('9000');
    const last = await apdu(host, `8${ch}2B8001${(part2.length + 2).toString(16).padStart(2, '0')}9B${part2.length.toString(16).padStart(2, '0')}${H(part2)}`);
    expect(last).toMatch(/^61[0-9A-F]{2}$/);
    const resp = await apdu(host, `0${ch}C00000${last.slice(2)}`);
    expect(resp.slice(0, 2)).toBe('33');
    const der = Buffer.from(resp.slice(4, -4), 'hex');
    expect(der[0]).toBe(0x30);
    expect(verify('sha256', Buffer.concat([part1, part2]), { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);
  });

  it('READ PUBLIC KEY (CD) returns 34 { 49 04‖X‖Y } matching the SIM key', async () => {
    const { host, modem } = make();
    const ch = await openAndSelect(host);
    expect(await apdu(host, `8${ch}CD000003850101`)).toBe('6145');
    const resp = await apdu(host, `0${ch}C0000045`);
    const point = modem.iotSafePublicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
    expect(resp).toBe(`34434941${H(point)}9000`);
  });

  it('answers errors with status words and leaves the card usable', async () => {
    const { host } = make();
    expect(await apdu(host, '00A4040007A0000000041010')).toBe('6A82'); // another AID
    expect(await apdu(host, '802A000000')).toBe('6D00'); // applet not selected on the basic channel
    const ch = await openAndSelect(host);
    expect(await apdu(host, `8${ch}2B800022` + '9E20' + '00'.repeat(32))).toBe('6985'); // update without init
    expect(await apdu(host, `8${ch}2A00000D` + '840102A10101910200019201' + '04')).toBe('6A88'); // no key 02
    expect(await apdu(host, `8${ch}2A00000D` + '840101A10101910200029201' + '04')).toBe('6A80'); // SHA-384 unsupported
    expect(await apdu(host, `8${ch}2A000003840101`)).toBe('6A80'); // mandatory TLVs missing
    expect(await apdu(host, `8${ch}EE000000`)).toBe('6D00'); // unknown instruction
    expect(await apdu(host, `0${ch}C0000010`)).toBe('6985'); // nothing to get
    expect(await apdu(host, '00A40400')).toBe('6A82'); // SELECT without an AID
    expect(await apdu(host, '0070000001').then((r) => r.slice(-4))).toBe('9000');
    expect(await apdu(host, '0070000001').then((r) => r.slice(-4))).toBe('9000');
    expect(await apdu(host, '0070000001')).toBe('6A81'); // channels 1-3 are all open now
    expect(await apdu(host, '0070800000')).toBe('6A86'); // the basic channel cannot be closed
    expect(await apdu(host, '00B0')).toBe('6700'); // not an APDU
    expect(await host.cmd('AT+CSIM=6,"00A4"')).toEqual({ lines: [], final: '+CME ERROR: 50' }); // length mismatch
    expect(await host.cmd('AT+CSIM=8,"00A4ZZ00"')).toEqual({ lines: [], final: '+CME ERROR: 50' }); // not hex
    // the applet still signs afterwards
    expect(await apdu(host, `8${ch}2A0000${(INIT_TLVS.length / 2).toString(16).padStart(2, '0')}${INIT_TLVS}`)).toBe('9000');
  });

  it('answers without quotes when the modem is configured like that', async () => {
    const { host } = make({}, false);
    expect(await host.cmd('AT+CSIM=10,0070000001')).toEqual({ lines: ['+CSIM: 6,019000'], final: 'OK' });
  });

  it('hostile APDUs: any byte string gets a response ending in a status word, never an exception', () => {
    const card = new UiccCard(new IotSafeApplet(() => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return { priv: privateKey, pub: publicKey };
    }, 'raw'));
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (b) => {
      const r = card.transmit(b);
      expect(r.length).toBeGreaterThanOrEqual(2);
      const sw1 = r[r.length - 2] as number;
      expect([0x90, 0x61, 0x67, 0x68, 0x69, 0x6a, 0x6d, 0x6e]).toContain(sw1);
    }), { numRuns: 500 });
  });
});

describe('SIM files through AT+CRSM [TS31.102 §4.2.18; TS102.221 §13.2]', () => {
  it('EF_AD gives the MNC length in byte 4; EF_ICCID is nibble-swapped BCD', async () => {
    const { host } = make({ mncLength: 3 });
    expect(await host.cmd('AT+CRSM=176,28589,0,0,4')).toEqual({ lines: ['+CRSM: 144,0,"00000003"'], final: 'OK' });
    expect(await host.cmd('AT+CRSM=176,12258,0,0,10')).toEqual({ lines: ['+CRSM: 144,0,"985308153254769810F2"'], final: 'OK' });
  });
});
