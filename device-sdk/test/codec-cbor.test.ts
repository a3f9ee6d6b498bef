// The device codec (core/codec) against the Node wire format: its encoding of up messages equals
// encodeCbor byte for byte [RFC8949 §4.2.1]; it decodes every down message encodeCbor produces to
// what decodeDown returns; hostile bytes give a stable code, and never a throw out of the
// provisioning client's transport callback (STYLE #9).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/core/codec/cbor.js';
import { deviceCodec } from '../src/core/codec/device-codec.js';
import { ProvisionClient } from '../src/core/provision.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { encodeCbor } from '../src/wire/cbor.js';
import { isSimedgeError } from '../src/wire/codes.js';
import { decodeDown, type DownMsg, type UpMsg } from '../src/wire/messages.js';
import type { TraceEvent } from '../src/wire/trace.js';

const codec = deviceCodec();
const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isSimedgeError(e)) return e.code;
    throw e; // anything else fails the property
  }
};

const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/);
const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const text = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((s) => s.length <= max);
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const upMsg: fc.Arbitrary<UpMsg> = fc.oneof(
  fc.record({ t: fc.constant('hello' as const), rid: id, imsi: digits(6, 15), iccid: digits(10, 22), plmn: digits(5, 6), cell: text(32), why: fc.constantFrom('on' as const, 'reset' as const, 'roam' as const) }),
  fc.record({ t: fc.constant('prov' as const), rid: id, imsi: digits(6, 15), nonce: bytes(8, 32), tpl: bytes(1, 600), proof: bytes(1, 256) }, { requiredKeys: ['t', 'rid', 'imsi', 'nonce', 'tpl'] }),
  fc.record({ t: fc.constant('bye' as const), rid: id, imsi: digits(6, 15), why: fc.constantFrom('off' as const, 'leave' as const) }),
);

const downMsg: fc.Arbitrary<DownMsg> = fc.oneof(
  fc.record({ t: fc.constant('chal' as const), rid: id, nonce: bytes(8, 32), ttl: fc.integer({ min: 1, max: 3600 }) }),
  fc.record({ t: fc.constant('acc' as const), rid: id, pid: id, edge: id }),
  fc.record({ t: fc.constant('rej' as const), rid: id, code: text(32), msg: text(256) }),
  fc.record({ t: fc.constant('ready' as const), pid: id, edge: id, svc: fc.array(fc.record({ n: text(32), ep: text(256) }), { maxLength: 16 }) }),
  fc.record({ t: fc.constant('term' as const), pid: id, why: text(32) }),
);

describe('device codec vs wire/cbor.ts [RFC8949 §4.2.1]', () => {
  it('encodes every up message to the same bytes as encodeCbor', () => {
    fc.assert(fc.property(upMsg, (m) => {
      expect(codec.encode(m)).toEqual(encodeCbor(m));
    }), { numRuns: 300 });
  });

  it('encodes generic text-keyed values like encodeCbor (ints, bytes, text, arrays, bool, null)', () => {
    const leaf = fc.oneof(fc.maxSafeInteger(), fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 40 }), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'binary', maxLength: 30 }).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 4 })),
    })).v;
    fc.assert(fc.property(value, (v) => {
      expect(encode(v)).toEqual(encodeCbor(v));
    }), { numRuns: 120 });
  });

  it('decodes every down message encodeCbor produces, as decodeDown does', () => {
    fc.assert(fc.property(downMsg, (m) => {
      const b = encodeCbor(m);
      expect(codec.decodeDown(b)).toEqual(decodeDown(b));
    }), { numRuns: 300 });
  });

  it('refuses hostile bytes with a stable code, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      expect(codeOf(() => codec.decodeDown(b))).toMatch(/^(ok|CBOR_[A-Z_]+|MSG_INVALID|MSG_UNKNOWN_TYPE)$/);
    }), { numRuns: 2000 });
  });

  it('refuses mutated down messages with a stable code', () => {
    fc.assert(fc.property(downMsg, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, v) => {
      const b = encodeCbor(m).slice();
      b[at % b.length] = v;
      expect(codeOf(() => codec.decodeDown(b))).toMatch(/^(ok|CBOR_[A-Z_]+|MSG_INVALID|MSG_UNKNOWN_TYPE)$/);
    }), { numRuns: 1000 });
  });

  it('flags every truncation as CBOR_INCOMPLETE', () => {
    const b = encodeCbor({ t: 'ready', pid: 'p', edge: 'e', svc: [{ n: 'fn', ep: 'http://x' }] });
    for (let n = 0; n < b.length; n++) expect(codeOf(() => decode(b.subarray(0, n)))).toBe('CBOR_INCOMPLETE');
  });

  const refuse: Array<[string, number[], string]> = [
    ['a tag', [0xd2, 0x01], 'CBOR_INVALID'],
    ['a float', [0xf9, 0x3c, 0x00], 'CBOR_INVALID'],
    ['undefined', [0xf7], 'CBOR_INVALID'],
    ['an indefinite array', [0x9f, 0xff], 'CBOR_INVALID'],
    ['an integer key', [0xa1, 0x01, 0x01], 'CBOR_INVALID'],
    ['a duplicate key', [0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02], 'CBOR_INVALID'],
    ['a __proto__ key', [0xa1, 0x69, ...Buffer.from('__proto__'), 0x01], 'CBOR_INVALID'],
    ['invalid UTF-8', [0x62, 0xc3, 0x28], 'CBOR_INVALID'],
    ['an overlong UTF-8 form', [0x62, 0xc0, 0xaf], 'CBOR_INVALID'],
    ['trailing bytes', [0x01, 0x02], 'CBOR_INVALID'],
    ['2^64-1', [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'CBOR_INVALID'],
    ['-(2^53)', [0x3b, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'CBOR_INVALID'],
    ['a huge declared array', [0x9a, 0xff, 0xff, 0xff, 0xff], 'CBOR_INCOMPLETE'],
    ['deep nesting', Array(20).fill(0x81).concat([0x01]), 'CBOR_LIMIT'],
  ];
  for (const [what, b, code] of refuse) {
    it(`refuses ${what} (${code})`, () => {
      expect(codeOf(() => decode(new Uint8Array(b)))).toBe(code);
    });
  }
  it('refuses input over maxBytes (CBOR_TOO_LARGE)', () => {
    expect(codeOf(() => decode(new Uint8Array(5000)))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decode(new Uint8Array([0x0a]), { maxBytes: 0 }))).toBe('CBOR_TOO_LARGE');
  });
  it('keeps 2^53-1 and -(2^53-1) exact', () => {
    expect(decode(encodeCbor(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode(encodeCbor(-Number.MAX_SAFE_INTEGER))).toBe(-Number.MAX_SAFE_INTEGER);
  });
});

describe('hostile down bytes through the provisioning client (STYLE #9)', () => {
  it('never throws out of the transport callback; each message becomes a bad-down trace', async () => {
    let deliver: (b: Uint8Array) => void = () => undefined;
    const traces: TraceEvent[] = [];
    const client = new ProvisionClient({
      imsi: '240011234000001', codec, platform: nodePlatform, trace: (e) => traces.push(e),
      transport: { publish: () => Promise.resolve(), subscribe: (_t, fn) => { deliver = fn; return Promise.resolve(); } },
    });
    await client.start();
    const hostile = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 40 }), { numRuns: 200, seed: 7 });
    for (const b of hostile) expect(() => deliver(b)).not.toThrow();
    expect(traces.filter((t) => t.ev === 'bad-down').length).toBeGreaterThan(150);
    expect(client.state).toBe('idle');
  });
});
