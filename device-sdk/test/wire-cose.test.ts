// COSE_Sign1 with EdDSA [RFC9052 §4.2, §4.4; RFC9053 §2.2]: round trip, kid, tampering, wrong
// algorithm, untagged form, and signatures made with @noble/ed25519 (the XS path).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALG_EDDSA, COSE_SIGN1_TAG, CborTag, decodeCbor, decodeSign1, encodeCbor, generateKeyPair, isSimedgeError,
  nobleEd25519, sigStructure, sign1, sign1Async, verifySign1,
} from '../src/wire/index.js';

const key = generateKeyPair();
const other = generateKeyPair();
const payload = encodeCbor({ v: 1, tid: 'acme.thermo', seq: 7 });

/** Decode and verify; returns true/false or the SimedgeError code. */
function check(b: Uint8Array, pub: Uint8Array = key.publicKey): boolean | string {
  try {
    return verifySign1(decodeSign1(b), pub);
  } catch (e) {
    if (isSimedgeError(e)) return e.code;
    throw e;
  }
}

/** Re-assemble a COSE_Sign1 from parts, for building malformed ones. */
function assemble(prot: Uint8Array, unprot: unknown, body: unknown, sig: unknown, tagged = true): Uint8Array {
  const arr = [prot, unprot, body, sig];
  return encodeCbor(tagged ? new CborTag(COSE_SIGN1_TAG, arr) : arr);
}

describe('COSE_Sign1 / EdDSA', () => {
  it('round-trips payload and kid, and verifies with the right key only', () => {
    const cose = sign1(payload, 'acme-2026', key.seed);
    const s = decodeSign1(cose);
    expect(s.kid).toBe('acme-2026');
    expect(s.payload).toEqual(payload);
    expect(s.signature).toHaveLength(64);
    expect(verifySign1(s, key.publicKey)).toBe(true);
    expect(verifySign1(s, other.publicKey)).toBe(false);
  });

  it('[RFC9052 §4.2] is tag 18 around [protected {1: -8, 4: kid}, {}, payload, signature]', () => {
    const v = decodeCbor(sign1(payload, 'k1', key.seed), { tags: [COSE_SIGN1_TAG] });
    expect(v).toBeInstanceOf(CborTag);
    const [prot, unprot, body] = (v as CborTag).value as unknown[];
    expect(decodeCbor(prot as Uint8Array)).toEqual(new Map<number, unknown>([[1, ALG_EDDSA], [4, new TextEncoder().encode('k1')]]));
    expect(unprot).toEqual({});
    expect(body).toEqual(payload);
  });

  it('[RFC9052 §4.4] signs the Sig_structure ["Signature1", protected, h\'\', payload]', () => {
    const s = decodeSign1(sign1(payload, 'k1', key.seed));
    const v = decodeCbor(s.toBeSigned, { maxBytes: 1 << 16 }) as unknown[];
    expect(v[0]).toBe('Signature1');
    expect(v[2]).toEqual(new Uint8Array(0));
    expect(v[3]).toEqual(payload);
    expect(s.toBeSigned).toEqual(sigStructure(v[1] as Uint8Array, payload));
  });

  it('kid is UTF-8 text of 1..64 bytes', () => {
    expect(decodeSign1(sign1(payload, 'fabrik-münchen/水', key.seed)).kid).toBe('fabrik-münchen/水');
    expect(() => sign1(payload, '', key.seed)).toThrow(TypeError);
    expect(() => sign1(payload, 'x'.repeat(65), key.seed)).toThrow(TypeError);
    expect(() => sign1(payload, 'bad\ud800', key.seed)).toThrow(TypeError);
    const prot = encodeCbor(new Map<number, unknown>([[1, -8], [4, Uint8Array.of(0xff, 0xfe)]]));
    expect(check(assemble(prot, new Map(), payload, new Uint8Array(64)))).toBe('COSE_INVALID');
  });

  it('tampering with any byte gives verify false or a stable error code, never true', () => {
    const cose = sign1(payload, 'acme-2026', key.seed);
    const seen = new Set<string>();
    for (let i = 0; i < cose.length; i++) {
      for (const x of [0x01, 0x80, 0xff]) {
        const t = cose.slice();
        t[i] = (t[i] as number) ^ x;
        const r = check(t);
        expect(r === false || r === 'COSE_INVALID' || (typeof r === 'string' && r.startsWith('CBOR_')), `byte ${i} ^ ${x}: ${r}`).toBe(true);
        seen.add(String(r));
      }
    }
    expect(seen.has('false')).toBe(true);
    expect(seen.has('COSE_INVALID')).toBe(true);
  });

  it('refuses another algorithm, a missing kid and malformed structures with COSE_INVALID', () => {
    const sig = new Uint8Array(64);
    const kid = new TextEncoder().encode('k');
    const es256 = encodeCbor(new Map<number, unknown>([[1, -7], [4, kid]]));
    expect(check(assemble(es256, new Map(), payload, sig))).toBe('COSE_INVALID');
    const noKid = encodeCbor(new Map<number, unknown>([[1, -8]]));
    expect(check(assemble(noKid, new Map(), payload, sig))).toBe('COSE_INVALID');
    const good = encodeCbor(new Map<number, unknown>([[1, -8], [4, kid]]));
    expect(check(assemble(good, new Map(), payload, sig.subarray(0, 63)))).toBe('COSE_INVALID');
    expect(check(assemble(good, new Map(), null, sig))).toBe('COSE_INVALID'); // detached payload: not used
    expect(check(assemble(good, [], payload, sig))).toBe('COSE_INVALID');
    expect(check(encodeCbor(new CborTag(COSE_SIGN1_TAG, [good, new Map(), payload])))).toBe('COSE_INVALID');
    expect(check(encodeCbor(new CborTag(98, [good, new Map(), payload, sig])))).toBe('CBOR_INVALID'); // COSE_Sign
    expect(check(assemble(encodeCbor({ alg: -8 }), new Map(), payload, sig))).toBe('COSE_INVALID');
  });

  it('accepts the untagged form [RFC9052 §2]', () => {
    const s = decodeSign1(sign1(payload, 'k1', key.seed));
    const untagged = assemble(encodeCbor(new Map<number, unknown>([[1, -8], [4, new TextEncoder().encode('k1')]])), new Map(), payload, s.signature, false);
    expect(check(untagged)).toBe(true);
  });

  it('verifies signatures made with @noble/ed25519 through sign1Async (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), async (seed, body) => {
      const pub = await nobleEd25519.publicKey(seed);
      const cose = await sign1Async(body, 'noble', (m) => nobleEd25519.sign(m, seed));
      expect(cose).toEqual(sign1(body, 'noble', seed)); // deterministic: same bytes as node:crypto
      expect(verifySign1(decodeSign1(cose), pub)).toBe(true);
    }), { numRuns: 25 });
  });
});
