// Properties of our CBOR codec [RFC8949]: round trip, determinism [§4.2.1], hostile input never
// escapes as anything but a CBOR_* SimedgeError, truncation at every offset is CBOR_INCOMPLETE
// (STYLE #5), and the decode limits hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborTag, DEFAULT_LIMITS, decodeCbor, encodeCbor, isSimedgeError } from '../src/wire/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isSimedgeError(e)) return e.code;
    throw e; // anything else fails the test loudly
  }
  return 'OK';
}

// Values of our subset, as decodeCbor returns them: text-keyed maps are plain objects, maps
// with integer keys are Maps (non-empty: an empty map decodes as {}).
const textKey = fc.string({ maxLength: 8, unit: 'binary' }).filter((k) => k !== '__proto__');
const { value: subsetValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.integer({ min: -1000, max: 1000 }),
    fc.double(),
    fc.string({ maxLength: 20, unit: 'binary' }),
    fc.uint8Array({ maxLength: 20 }),
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(textKey, tie('value'), { maxKeys: 5, noNullPrototype: true }),
    fc.uniqueArray(fc.tuple(fc.integer({ min: -100000, max: 100000 }), tie('value')), { minLength: 1, maxLength: 4, selector: ([k]) => k })
      .map((entries) => new Map(entries)),
  ),
}));

describe('encodeCbor / decodeCbor', () => {
  it('round-trips every value of our subset, and re-encoding is byte-identical', () => {
    fc.assert(fc.property(subsetValue, (v) => {
      const enc = encodeCbor(v);
      const dec = decodeCbor(enc, { maxBytes: 1 << 20, maxItems: 1 << 16, maxDepth: 64 });
      expect(dec).toEqual(v);
      expect(hex(encodeCbor(dec))).toBe(hex(enc));
    }), { numRuns: 300 });
  });

  it('integers up to ±(2^53-1) use the shortest head, 64-bit ones included [RFC8949 §4.2.1]', () => {
    expect(hex(encodeCbor(Number.MAX_SAFE_INTEGER))).toBe('1b001fffffffffffff');
    expect(hex(encodeCbor(Number.MIN_SAFE_INTEGER))).toBe('3b001ffffffffffffe');
    expect(hex(encodeCbor(2 ** 32))).toBe('1b0000000100000000');
    expect(hex(encodeCbor(2 ** 32 - 1))).toBe('1affffffff');
    expect(hex(encodeCbor(-(2 ** 32)))).toBe('3affffffff');
    expect(decodeCbor(bytes('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(bytes('3b001ffffffffffffe'))).toBe(Number.MIN_SAFE_INTEGER);
    // One past the safe range cannot be a JS number without rounding: refused.
    expect(codeOf(() => decodeCbor(bytes('1b0020000000000000')))).toBe('CBOR_INVALID');
    expect(codeOf(() => decodeCbor(bytes('3b001fffffffffffff')))).toBe('CBOR_INVALID');
  });

  it('floats use the shortest form that keeps the value [RFC8949 §4.2.1]', () => {
    expect(hex(encodeCbor(1.5))).toBe('f93e00');
    expect(hex(encodeCbor(1000000.5))).toBe('fa49742408');
    expect(hex(encodeCbor(0.1))).toBe('fb3fb999999999999a');
  });

  it('sorts map keys by their encoded bytes, whatever the insertion order [RFC8949 §4.2.1]', () => {
    // The section's worked example: 10, 100, -1, "z", "aa", [100], [-1], false.
    const sorted: unknown[] = [10, 100, -1, 'z', 'aa', [100], [-1], false];
    const expectKeys = ['0a', '1864', '20', '617a', '626161', '811864', '8120', 'f4'];
    const fwd = encodeCbor(new Map(sorted.map((k) => [k, 0])));
    const rev = encodeCbor(new Map([...sorted].reverse().map((k) => [k, 0])));
    expect(hex(rev)).toBe(hex(fwd));
    expect(hex(fwd)).toBe('a8' + expectKeys.map((k) => k + '00').join(''));
    // Plain objects too: shorter text keys first, then bytewise.
    expect(hex(encodeCbor({ bb: 1, a: 2, c: 3 }))).toBe(hex(encodeCbor({ c: 3, a: 2, bb: 1 })));
    expect(hex(encodeCbor({ bb: 1, a: 2, c: 3 }))).toBe('a3616102616303626262' + '01');
  });

  it('key order does not depend on insertion order (property)', () => {
    fc.assert(fc.property(fc.dictionary(textKey, fc.integer(), { maxKeys: 8 }), (o) => {
      const reversed = Object.fromEntries(Object.entries(o).reverse());
      expect(hex(encodeCbor(reversed))).toBe(hex(encodeCbor(o)));
    }));
  });

  it('refuses to encode duplicate keys and values it cannot represent', () => {
    expect(() => encodeCbor(new Map<unknown, unknown>([[[1], 1], [[1], 2]]))).toThrow(TypeError);
    expect(() => encodeCbor(10n)).toThrow(TypeError);
  });
});

describe('decodeCbor on hostile input', () => {
  it('never throws anything but a CBOR_* SimedgeError on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      expect(codeOf(() => decodeCbor(b))).toMatch(/^(OK|CBOR_[A-Z_]+)$/);
    }), { numRuns: 3000 });
  });

  it('never throws anything but a CBOR_* SimedgeError on mutated valid encodings', () => {
    fc.assert(fc.property(subsetValue, fc.nat(), fc.integer({ min: 0, max: 255 }), (v, at, byte) => {
      const b = encodeCbor(v).slice();
      b[at % b.length] = byte;
      expect(codeOf(() => decodeCbor(b))).toMatch(/^(OK|CBOR_[A-Z_]+)$/);
    }), { numRuns: 1000 });
  });

  it('reports every truncation of a valid encoding as CBOR_INCOMPLETE (split at every byte offset)', () => {
    const fixed = [
      { v: 1, tid: 'acme.thermo', seq: 7, svc: [{ n: 'fn', art: new Uint8Array(300) }], big: 2 ** 40, f: 1.1, h: 1.5, s: 'wäter 水 𐅑' },
      new CborTag(18, [new Uint8Array(3), new Map(), new Uint8Array(0), new Uint8Array(64)]),
    ];
    for (const v of fixed) {
      const b = encodeCbor(v);
      for (let n = 0; n < b.length; n++) {
        expect(codeOf(() => decodeCbor(b.subarray(0, n), { tags: [18] })), `prefix ${n}/${b.length}`).toBe('CBOR_INCOMPLETE');
      }
      expect(codeOf(() => decodeCbor(b, { tags: [18] }))).toBe('OK');
    }
    fc.assert(fc.property(subsetValue, (v) => {
      const b = encodeCbor(v);
      const lim = { maxBytes: 1 << 20, maxItems: 1 << 16, maxDepth: 64 };
      for (let n = 0; n < b.length; n++) expect(codeOf(() => decodeCbor(b.subarray(0, n), lim))).toBe('CBOR_INCOMPLETE');
    }), { numRuns: 100 });
  });

  it('leaves the caller\'s bytes untouched (no cached properties, no writes)', () => {
    const b = encodeCbor({ a: [1, 2, 3], b: new Uint8Array(4) });
    const copy = b.slice();
    decodeCbor(b);
    expect(Object.keys(b).filter((k) => !/^\d+$/.test(k))).toEqual([]);
    expect(b).toEqual(copy);
  });

  it('refuses trailing bytes after the item', () => {
    expect(codeOf(() => decodeCbor(bytes('0101')))).toBe('CBOR_INVALID');
  });

  it('refuses invalid UTF-8 in text strings [RFC8949 §5.3.1]', () => {
    expect(codeOf(() => decodeCbor(bytes('62c328')))).toBe('CBOR_INVALID');
    expect(codeOf(() => decodeCbor(bytes('63eda080')))).toBe('CBOR_INVALID'); // a UTF-16 surrogate
  });

  it('refuses duplicate map keys [RFC8949 §5.6], also when spelled differently', () => {
    expect(codeOf(() => decodeCbor(bytes('a2616101616102')))).toBe('CBOR_INVALID');
    expect(codeOf(() => decodeCbor(bytes('a20102180103')))).toBe('CBOR_INVALID'); // 1 and 0x1801
  });

  it('refuses map keys other than integers and text', () => {
    for (const h of ['a1f601', 'a1410001', 'a1800001', 'a1f93e0001']) expect(codeOf(() => decodeCbor(bytes(h))), h).toBe('CBOR_INVALID');
  });

  it('refuses tags not explicitly allowed, including 55799 and cbor-x extensions', () => {
    // self-described CBOR, shared reference, packed table, set, COSE_Sign1 when not asked for
    for (const h of ['d9d9f700', 'd81c80', 'd8338100', 'd9010280', 'd280']) expect(codeOf(() => decodeCbor(bytes(h))), h).toBe('CBOR_INVALID');
    expect(decodeCbor(bytes('d201'), { tags: [18] })).toEqual(new CborTag(18, 1));
  });
});

describe('decode limits', () => {
  it('size: more than maxBytes is CBOR_TOO_LARGE before any parsing', () => {
    const b = encodeCbor(new Uint8Array(DEFAULT_LIMITS.maxBytes));
    expect(codeOf(() => decodeCbor(b))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decodeCbor(new Uint8Array(100), { maxBytes: 99 }))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decodeCbor(new Uint8Array(0)))).toBe('CBOR_INCOMPLETE');
  });

  it('depth: nesting beyond maxDepth is CBOR_LIMIT', () => {
    let v: unknown = 1;
    for (let i = 0; i < DEFAULT_LIMITS.maxDepth; i++) v = [v];
    expect(codeOf(() => decodeCbor(encodeCbor(v)))).toBe('OK');
    expect(codeOf(() => decodeCbor(encodeCbor([v])))).toBe('CBOR_LIMIT');
    // A bomb of 10 000 nested arrays is refused with the limit code (and no stack overflow).
    expect(codeOf(() => decodeCbor(new Uint8Array(10000).fill(0x81)))).toBe('CBOR_LIMIT');
  });

  it('items: more than maxItems is CBOR_LIMIT, also when only declared', () => {
    expect(codeOf(() => decodeCbor(encodeCbor(new Array(DEFAULT_LIMITS.maxItems - 1).fill(0))))).toBe('OK');
    expect(codeOf(() => decodeCbor(encodeCbor(new Array(DEFAULT_LIMITS.maxItems).fill(0))))).toBe('CBOR_LIMIT');
    expect(codeOf(() => decodeCbor(bytes('9b00000000ffffffff')))).toBe('CBOR_LIMIT'); // 4 G items declared in 9 bytes
    expect(codeOf(() => decodeCbor(encodeCbor([1, 2, 3]), { maxItems: 3 }))).toBe('CBOR_LIMIT');
  });

  it('a byte string longer than the input is CBOR_INCOMPLETE, not an allocation', () => {
    expect(codeOf(() => decodeCbor(bytes('5b00000000ffffffff')))).toBe('CBOR_INCOMPLETE');
  });

  it('__proto__ as a map key is refused and Object.prototype is untouched', () => {
    const b = encodeCbor(new Map([['__proto__', { polluted: true }]]));
    expect(codeOf(() => decodeCbor(b))).toBe('CBOR_INVALID');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const nested = encodeCbor({ a: [new Map([['__proto__', 1]])] });
    expect(codeOf(() => decodeCbor(nested))).toBe('CBOR_INVALID');
  });
});
