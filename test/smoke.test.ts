import { describe, expect, it } from 'vitest';
import { encodeCbor, decodeSign1, sign1, verifySign1, generateKeyPair } from '@simedge/device-sdk/wire';

describe('smoke', () => {
  it('signs and verifies across the package boundary', () => {
    const k = generateKeyPair();
    const cose = sign1(encodeCbor({ a: 1 }), 'k1', k.seed);
    const s = decodeSign1(cose);
    expect(s.kid).toBe('k1');
    expect(verifySign1(s, k.publicKey)).toBe(true);
  });
});
