// Messages of the provisioning protocol (DESIGN.md "Messages"): each decoder accepts each of its
// message types and refuses wrong types, missing fields and unknown `t` with stable codes.
import { describe, expect, it } from 'vitest';
import {
  decodeDown, decodeEdgeEvent, decodeStatus, decodeUp, encodeCbor, encodeMsg, isSimedgeError, parseOrder,
  type DownMsg, type EdgeEvent, type EdgeStatus, type Order, type UpMsg,
} from '../src/wire/index.js';

const nonce = new Uint8Array(16).fill(9);
const svc = [{ n: 'onem2m-cse', fns: ['reg', 'ret'], share: 'class' as const }];

const UP: UpMsg[] = [
  { t: 'hello', rid: 'r1', imsi: '240011234567890', iccid: '89460123456789012345', plmn: '24001', cell: '24001-1a2b', why: 'on' },
  { t: 'prov', rid: 'r2', imsi: '240011234567890', nonce, tpl: new Uint8Array(100).fill(1), proof: new Uint8Array(64) },
  { t: 'prov', rid: 'r3', imsi: '240011234567890', nonce, tpl: new Uint8Array(10) },
  { t: 'bye', rid: 'r4', imsi: '240011234567890', why: 'off' },
];
const DOWN: DownMsg[] = [
  { t: 'chal', rid: 'r1', nonce, ttl: 30 },
  { t: 'acc', rid: 'r2', pid: 'p1', edge: 'edge-1' },
  { t: 'rej', rid: 'r2', code: 'BAD_SIGNATURE', msg: 'manufacturer signature does not verify' },
  { t: 'ready', pid: 'p1', edge: 'edge-1', svc: [{ n: 'onem2m-cse', ep: 'mqtt://10.0.0.1:1883' }] },
  { t: 'term', pid: 'p1', why: 'off' },
];
const ORDERS: Order[] = [
  { t: 'deploy', oid: 'o1', pid: 'p1', edge: 'edge-1', imsi: '240011234567890', cls: 'acme/thermo-nb1', tid: 'acme.thermo', iat: 1764000000, exp: 1764000600, svc },
  { t: 'remove', oid: 'o2', pid: 'p1', edge: 'edge-1', imsi: '240011234567890', iat: 1764000000, exp: 1764000600 },
];
const EVENTS: EdgeEvent[] = [
  { t: 'rcvd', oid: 'o1', pid: 'p1', edge: 'edge-1' },
  { t: 'ready', oid: 'o1', pid: 'p1', edge: 'edge-1', svc: [{ n: 'onem2m-cse', ep: 'http://10.0.0.1:8080' }] },
  { t: 'fail', oid: 'o1', pid: 'p1', edge: 'edge-1', code: 'DEPLOY_FAILED', msg: 'no capacity' },
  { t: 'removed', oid: 'o2', pid: 'p1', edge: 'edge-1' },
];
const STATUS: EdgeStatus[] = [
  // `at` in milliseconds needs a 64-bit CBOR integer: this is what the decoder must take.
  { t: 'status', edge: 'edge-1', online: true, at: 1764000000123, cells: ['24001-1a2b'], cap: { cpu: 4, mem: 4096 }, used: { cpu: 0.5, mem: 128 }, inst: 2 },
];

type Decoder = (b: Uint8Array) => unknown;
const DECODERS: Array<[string, Decoder, Array<{ t: string }>]> = [
  ['decodeUp', decodeUp, UP], ['decodeDown', decodeDown, DOWN], ['parseOrder', parseOrder, ORDERS],
  ['decodeEdgeEvent', decodeEdgeEvent, EVENTS], ['decodeStatus', decodeStatus, STATUS],
];

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isSimedgeError(e)) return e.code;
    throw e;
  }
  return 'OK';
}

/** Every required field of a message (everything except the optional `proof`). */
const required = (m: object) => Object.keys(m).filter((k) => k !== 't' && k !== 'proof');

describe('message decoders', () => {
  for (const [name, decode, valid] of DECODERS) {
    describe(name, () => {
      for (const m of valid) {
        it(`accepts ${m.t} and returns exactly its fields`, () => {
          expect(decode(encodeMsg(m as never))).toEqual(m);
        });

        it(`${m.t}: a missing field is MSG_INVALID`, () => {
          for (const k of required(m)) {
            const copy: Record<string, unknown> = { ...m };
            delete copy[k];
            expect(codeOf(() => decode(encodeCbor(copy))), k).toBe('MSG_INVALID');
          }
        });

        it(`${m.t}: a field of the wrong type is MSG_INVALID`, () => {
          for (const k of required(m)) {
            const copy: Record<string, unknown> = { ...m, [k]: [[]] };
            expect(codeOf(() => decode(encodeCbor(copy))), k).toBe('MSG_INVALID');
          }
        });
      }

      it('refuses a message type of another direction, an unknown t and a missing t with MSG_UNKNOWN_TYPE', () => {
        const foreign = [...UP, ...DOWN, ...ORDERS, ...EVENTS, ...STATUS].filter((m) => !valid.some((v) => v.t === m.t));
        for (const m of foreign) expect(codeOf(() => decode(encodeMsg(m as never))), m.t).toBe('MSG_UNKNOWN_TYPE');
        expect(codeOf(() => decode(encodeCbor({ ...valid[0], t: 'nope' })))).toBe('MSG_UNKNOWN_TYPE');
        expect(codeOf(() => decode(encodeCbor({ ...valid[0], t: 7 })))).toBe('MSG_UNKNOWN_TYPE');
        expect(codeOf(() => decode(encodeCbor({ rid: 'r1' })))).toBe('MSG_UNKNOWN_TYPE');
        // Inherited property names are not message types.
        expect(codeOf(() => decode(encodeCbor({ t: 'constructor' })))).toBe('MSG_UNKNOWN_TYPE');
      });

      it('refuses non-map payloads with MSG_INVALID and broken CBOR with a CBOR_* code', () => {
        expect(codeOf(() => decode(encodeCbor([1, 2])))).toBe('MSG_INVALID');
        expect(codeOf(() => decode(encodeCbor('hello')))).toBe('MSG_INVALID');
        expect(codeOf(() => decode(Uint8Array.of(0xa1)))).toBe('CBOR_INCOMPLETE');
        expect(codeOf(() => decode(Uint8Array.of(0xff)))).toBe('CBOR_INVALID');
        expect(codeOf(() => decode(new Uint8Array(20000)))).toBe('CBOR_TOO_LARGE');
      });
    });
  }

  it('field rules: IMSI digits, reason enums, nonce size, endpoint list', () => {
    const hello = UP[0] as unknown as Record<string, unknown>;
    expect(codeOf(() => decodeUp(encodeCbor({ ...hello, imsi: '24001abc' })))).toBe('MSG_INVALID');
    expect(codeOf(() => decodeUp(encodeCbor({ ...hello, imsi: '12345' })))).toBe('MSG_INVALID');
    expect(codeOf(() => decodeUp(encodeCbor({ ...hello, why: 'boot' })))).toBe('MSG_INVALID');
    expect(codeOf(() => decodeUp(encodeCbor({ ...hello, rid: 'has space' })))).toBe('MSG_INVALID');
    expect(codeOf(() => decodeDown(encodeCbor({ ...DOWN[0], nonce: new Uint8Array(4) })))).toBe('MSG_INVALID');
    expect(codeOf(() => decodeDown(encodeCbor({ ...DOWN[3], svc: [{ n: 'x' }] })))).toBe('MSG_INVALID');
    expect(codeOf(() => parseOrder(encodeCbor({ ...ORDERS[0], svc: [{ n: 'BAD NAME' }] })))).toBe('MSG_INVALID');
    expect(() => parseOrder(encodeCbor({ ...ORDERS[0], svc: [{ n: 'BAD NAME' }] }))).toThrow(/\(svc\[0\]\.n: /);
  });
});
