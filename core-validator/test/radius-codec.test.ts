// The RADIUS/3GPP codec on its own: BCD PLMNs and User-Location-Info round-trip [TS29.274 §8.21],
// authenticators bind the secret and every octet [RFC2866 §3], and no truncation or mutation of
// a datagram gets anything but a RADIUS_* SimedgeError (or a clean decode) out of the decoder.
import fc from 'fast-check';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import { describe, expect, it } from 'vitest';
import {
  decodePacket, decodePlmn, decodeUli, encodeAccountingRequest, encodeAccountingResponse, encodePlmn, encodeUliTaiEcgi,
  parseAccounting, taiName, tgppAttribute, verifyAccountingRequest, verifyAccountingResponse,
} from '../src/radius/index.js';

const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; };
const txt = (s: string) => new TextEncoder().encode(s);
const SAMPLE = encodeAccountingRequest(9, [
  { type: 40, value: u32(1) }, { type: 44, value: txt('sess') }, { type: 8, value: Uint8Array.of(127, 100, 0, 7) },
  tgppAttribute(1, txt('240011234000001')), tgppAttribute(22, encodeUliTaiEcgi('24001', 0x0a01, 0x01a2d101)),
], 's3cret');

describe('3GPP values', () => {
  it('PLMN BCD: 24001 -> 42 F0 10, 310410 -> 13 00 14 [TS24.008 §10.5.1.3]', () => {
    expect([...encodePlmn('24001')]).toEqual([0x42, 0xf0, 0x10]);
    expect([...encodePlmn('310410')]).toEqual([0x13, 0x00, 0x14]);
    expect(decodePlmn(Uint8Array.of(0x42, 0xf0, 0x10))).toBe('24001');
  });

  it('User-Location-Info TAI+ECGI round-trips [TS29.061 §16.4.7.2]', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[0-9]{5,6}$/), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x0fffffff }),
      (plmn, tac, eci) => {
        expect(decodeUli(encodeUliTaiEcgi(plmn, tac, eci))).toEqual({ plmn, eci, tac: tac.toString(16).toUpperCase().padStart(4, '0'), taiPlmn: plmn });
      },
    ));
  });

  it("the TAI is named by its own PLMN and the TAC, '<MCC><MNC>-<TAC hex>' [TS23.003 §19.4.2.3]", () => {
    // Network sharing: the TAI's PLMN (244/05) differs from the ECGI's (240/01).
    const uli = encodeUliTaiEcgi('24001', 0x0a01, 0x01a2d101);
    uli.set(encodePlmn('24405'), 1);
    expect(decodeUli(uli)).toEqual({ plmn: '24001', eci: 0x01a2d101, tac: '0A01', taiPlmn: '24405' });
    expect(taiName('24405', '0a01')).toBe('24405-0A01');
    const rec = parseAccounting(decodePacket(encodeAccountingRequest(1, [
      { type: 40, value: u32(1) }, { type: 44, value: txt('s') }, tgppAttribute(22, uli),
    ], 'k')));
    expect(rec).toMatchObject({ cell: '01A2D101', tai: '24405-0A01', plmn: '24001' });
  });

  it('a ULI type the core cannot place by (CGI, 0) yields no cell; a short TAI+ECGI is malformed', () => {
    expect(decodeUli(Uint8Array.of(0, 0x42, 0xf0, 0x10, 0, 1, 0, 2))).toBeUndefined();
    expect(() => decodeUli(Uint8Array.of(130, 0x42, 0xf0, 0x10))).toThrow(/RADIUS_MALFORMED/);
  });
});

describe('authenticators [RFC2866 §3]', () => {
  it('the Request Authenticator binds the secret and every octet', () => {
    expect(verifyAccountingRequest(SAMPLE, 's3cret')).toBe(true);
    expect(verifyAccountingRequest(SAMPLE, 's3creT')).toBe(false);
    for (let i = 0; i < SAMPLE.length; i++) {
      const m = Uint8Array.from(SAMPLE);
      m[i] = m[i]! ^ 0x01;
      if (i === 2 || i === 3) continue; // the length field: decodePacket rejects it first
      expect(verifyAccountingRequest(m, 's3cret')).toBe(false);
    }
  });

  it('the Response Authenticator is over the request authenticator and the secret', () => {
    const req = decodePacket(SAMPLE);
    const res = encodeAccountingResponse(req, [], 's3cret');
    expect(verifyAccountingResponse(res, req.authenticator, 's3cret')).toBe(true);
    expect(verifyAccountingResponse(res, req.authenticator, 'other')).toBe(false);
    expect(verifyAccountingResponse(res, new Uint8Array(16), 's3cret')).toBe(false);
  });
});

describe('hostile datagrams', () => {
  const decodeAll = (b: Uint8Array) => parseAccounting(decodePacket(b));

  it('every truncation is RADIUS_MALFORMED', () => {
    for (let n = 0; n < SAMPLE.length; n++) {
      let err: unknown;
      try { decodeAll(SAMPLE.subarray(0, n)); } catch (e) { err = e; }
      expect(isSimedgeError(err) && err.code === 'RADIUS_MALFORMED').toBe(true);
    }
    expect(decodeAll(SAMPLE)).toMatchObject({ status: 'start', session: 'sess', imsi: '240011234000001', cell: '01A2D101', tai: '24001-0A01' });
  });

  it('any mutation decodes or fails with a RADIUS_* code, never anything else', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(SAMPLE.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const m = Uint8Array.from(SAMPLE);
      for (const [i, v] of edits) m[i] = v;
      try {
        decodeAll(m);
      } catch (e) {
        expect(isSimedgeError(e) && e.code.startsWith('RADIUS_')).toBe(true);
      }
    }));
  });
});
