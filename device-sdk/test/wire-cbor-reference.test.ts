// Our one-pass CBOR decoder (wire/cbor-decode.ts) against an independent implementation, cbor-x,
// as a reference [RFC8949]: whatever we accept, cbor-x reads as the same value. We are a strict
// subset of CBOR, so the converse does not hold (cbor-x accepts indefinite lengths, undefined,
// duplicate keys, ...). cbor-x is only a test dependency: the product decodes with our code.
import { Decoder, Tag } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborTag, decodeCbor, encodeCbor } from '../src/wire/index.js';

const reference = new Decoder({ mapsAsObjects: false, useRecords: false });

/** Both decoders' results in one shape: Maps with all-text keys (or none) as objects, bigints as numbers,
 *  byte strings as plain arrays tagged 'bytes', tags as { tag, value }. */
function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(normal);
  if (v instanceof Tag || v instanceof CborTag) return { tag: v.tag, value: normal(v.value) };
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [typeof k === 'bigint' ? Number(k) : k, normal(x)] as const);
    if (entries.every(([k]) => typeof k === 'string')) return Object.fromEntries(entries);
    return new Map(entries);
  }
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)]));
  return v;
}

const ours = (b: Uint8Array): { ok: true; v: unknown } | { ok: false } => {
  try {
    return { ok: true, v: decodeCbor(b, { tags: [18] }) };
  } catch {
    return { ok: false };
  }
};

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.maxSafeInteger(),
    fc.integer({ min: -70000, max: 70000 }),
    fc.double(),
    fc.string({ maxLength: 80, unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 30 }),
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 5, noNullPrototype: true }),
    fc.uniqueArray(fc.tuple(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), tie('value')), { minLength: 1, maxLength: 4, selector: ([k]) => k })
      .map((entries) => new Map(entries)),
    tie('value').map((x) => new CborTag(18, x)),
  ),
}));

describe('decodeCbor against cbor-x', () => {
  it('reads every value our encoder writes as cbor-x does', () => {
    fc.assert(fc.property(value, (v) => {
      const b = encodeCbor(v);
      const r = ours(b);
      expect(r.ok).toBe(true);
      if (r.ok) expect(normal(r.v)).toEqual(normal(reference.decode(b)));
    }), { numRuns: 3000 });
  });

  it('agrees with cbor-x on any bytes it accepts: random input and damaged encodings', () => {
    const agree = (b: Uint8Array) => {
      const r = ours(b);
      if (!r.ok) return;
      expect(normal(r.v)).toEqual(normal(reference.decode(b.slice())));
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (b) => agree(b)), { numRuns: 20000 });
    fc.assert(fc.property(value, fc.nat(), fc.integer({ min: 0, max: 7 }), (v, at, bit) => {
      const b = encodeCbor(v);
      if (b.length === 0) return;
      const damaged = b.slice();
      const i = at % b.length;
      damaged[i] = (damaged[i] as number) ^ (1 << bit);
      agree(damaged);
    }), { numRuns: 5000 });
  });

  it('copies byte strings out of a Buffer instead of viewing it', () => {
    const input = Buffer.from(encodeCbor({ b: new Uint8Array([1, 2, 3]) }));
    const out = decodeCbor(input) as { b: Uint8Array };
    input.fill(0);
    expect(out.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(Buffer.isBuffer(out.b)).toBe(false);
  });
});
