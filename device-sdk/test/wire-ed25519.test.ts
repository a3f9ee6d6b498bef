// Ed25519 [RFC8032 §7.1] vectors against both implementations, and cross-acceptance between them
// (node:crypto on core/edge, @noble/ed25519 on XS must accept each other's signatures).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleEd25519, nodeEd25519, type Ed25519 } from '../src/wire/index.js';

interface Vector { name: string; secretKey: string; publicKey: string; message: string; signature: string; messageLength: number }
const file = JSON.parse(readFileSync(new URL('../../test/vectors/rfc8032/ed25519.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = b.slice();
  c[bit >> 3] = (c[bit >> 3] as number) ^ (1 << (bit & 7));
  return c;
};
const impls: Array<[string, Ed25519]> = [['node:crypto', nodeEd25519], ['@noble/ed25519', nobleEd25519]];

describe('[RFC8032 §7.1] Ed25519 test vectors', () => {
  it('holds the five vectors of §7.1', () => {
    expect(file.vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3', 'TEST 1024', 'TEST SHA(abc)']);
    for (const v of file.vectors) expect(v.message.length / 2).toBe(v.messageLength);
  });

  for (const [implName, ed] of impls) {
    describe(implName, () => {
      for (const v of file.vectors) {
        it(`${v.name}: public key, signature, verify, flipped bits refused`, async () => {
          const seed = hex(v.secretKey);
          const msg = hex(v.message);
          const sig = hex(v.signature);
          const pub = hex(v.publicKey);
          expect(Buffer.from(await ed.publicKey(seed)).toString('hex')).toBe(v.publicKey);
          expect(Buffer.from(await ed.sign(msg, seed)).toString('hex')).toBe(v.signature);
          expect(await ed.verify(sig, msg, pub)).toBe(true);
          // A flipped bit in the signature (R and S halves), the message or the key is refused.
          expect(await ed.verify(flip(sig, 0), msg, pub)).toBe(false);
          expect(await ed.verify(flip(sig, 300), msg, pub)).toBe(false);
          if (msg.length > 0) expect(await ed.verify(sig, flip(msg, msg.length * 8 - 1), pub)).toBe(false);
          expect(await ed.verify(sig, msg, flip(pub, 5))).toBe(false);
          // Wrong lengths are a refusal, not an exception.
          expect(await ed.verify(sig.subarray(0, 63), msg, pub)).toBe(false);
        });
      }
    });
  }
});

describe('cross-acceptance node:crypto <-> @noble/ed25519', () => {
  const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const msgArb = fc.uint8Array({ maxLength: 300 });

  it('same public key from the same seed', async () => {
    await fc.assert(fc.asyncProperty(seedArb, async (seed) => {
      expect(await nobleEd25519.publicKey(seed)).toEqual(await nodeEd25519.publicKey(seed));
    }), { numRuns: 40 });
  });

  it('node-signed verifies with noble and noble-signed with node (and the signatures are equal)', async () => {
    await fc.assert(fc.asyncProperty(seedArb, msgArb, async (seed, msg) => {
      const pub = await nodeEd25519.publicKey(seed);
      const sNode = await nodeEd25519.sign(msg, seed);
      const sNoble = await nobleEd25519.sign(msg, seed);
      expect(await nobleEd25519.verify(sNode, msg, pub)).toBe(true);
      expect(await nodeEd25519.verify(sNoble, msg, pub)).toBe(true);
      expect(sNoble).toEqual(sNode); // Ed25519 is deterministic [RFC8032 §5.1.6]
    }), { numRuns: 40 });
  });

  it('a mutated signature is refused by both', async () => {
    await fc.assert(fc.asyncProperty(seedArb, msgArb, fc.nat({ max: 511 }), async (seed, msg, bit) => {
      const pub = await nodeEd25519.publicKey(seed);
      const bad = flip(await nodeEd25519.sign(msg, seed), bit);
      expect(await nodeEd25519.verify(bad, msg, pub)).toBe(false);
      expect(await nobleEd25519.verify(bad, msg, pub)).toBe(false);
    }), { numRuns: 40 });
  });
});
