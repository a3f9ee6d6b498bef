// [RFC8949 Appendix A] every example of Table 6 against our codec: the subset we use encodes to
// exactly the RFC's bytes and decodes back; everything else is refused with a CBOR_* code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor, isSimedgeError } from '../src/wire/index.js';

interface Example { diag: string; hex: string; expect: 'roundtrip' | 'decode' | 'refuse'; subset: boolean; value?: unknown; note?: string }
const file = JSON.parse(readFileSync(new URL('../../test/vectors/rfc8949/appendix-a.json', import.meta.url), 'utf8')) as { examples: Example[] };

/** Turn the JSON stand-ins of the vector file into the values decodeCbor returns. */
function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'hex'));
    if (typeof o.$float === 'string') return ({ NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 } as Record<string, number>)[o.$float];
    if (Array.isArray(o.$map)) return new Map((o.$map as Array<[unknown, unknown]>).map(([k, x]) => [revive(k), revive(x)]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('[RFC8949 Appendix A] examples of encoded CBOR data items', () => {
  it('holds all 81 rows of Table 6 and classifies each', () => {
    expect(file.examples).toHaveLength(81);
    for (const e of file.examples) expect(e.subset).toBe(e.expect !== 'refuse');
    expect(file.examples.filter((e) => e.expect === 'roundtrip').length).toBeGreaterThan(40);
  });

  for (const e of file.examples) {
    const title = `${e.diag} = 0x${e.hex} (${e.expect})`;
    if (e.expect === 'refuse') {
      it(`refuses ${title}`, () => {
        let err: unknown;
        try { decodeCbor(bytes(e.hex)); } catch (x) { err = x; }
        expect(isSimedgeError(err)).toBe(true);
        expect((err as { code: string }).code).toMatch(/^CBOR_/);
      });
      continue;
    }
    it(`decodes ${title}`, () => {
      expect(decodeCbor(bytes(e.hex))).toEqual(revive(e.value));
    });
    if (e.expect === 'roundtrip') {
      it(`[RFC8949 §4.2.1] encodes ${title}`, () => {
        expect(Buffer.from(encodeCbor(revive(e.value))).toString('hex')).toBe(e.hex);
      });
    }
  }
});
