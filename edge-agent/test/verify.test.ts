// Order checks as a pure function: every way an order is refused, and which refusals may be
// answered (the ids were signed) and which must be dropped silently. [RFC9052 §4.4]
import { describe, expect, it } from 'vitest';
import { encodeCbor, encodeMsg, generateKeyPair, sign1 } from '@simedge/device-sdk/wire';
import { MAX_ORDER_BYTES, checkOrder, coreKeyMap } from '../src/index.js';
import { removeOrder } from './helpers.js';

const core = generateKeyPair();
const keys = coreKeyMap([{ kid: 'core-1', publicKey: core.publicKey }]);
const now = Date.UTC(2026, 0, 1);
const sec = now / 1000;
const order = removeOrder('edge-a', 'p1', { iat: sec, exp: sec + 60 });
const signed = sign1(encodeMsg(order), 'core-1', core.seed);

describe('checkOrder', () => {
  it('accepts a core-signed order for this edge before its expiry', () => {
    expect(checkOrder(signed, keys, 'edge-a', now)).toEqual({ kind: 'ok', order });
  });

  it('answers (invalid) an expired order and one for another edge', () => {
    expect(checkOrder(signed, keys, 'edge-a', (sec + 60) * 1000)).toMatchObject({ kind: 'invalid', why: expect.stringMatching(/expired/) });
    expect(checkOrder(signed, keys, 'edge-b', now)).toMatchObject({ kind: 'invalid', why: expect.stringMatching(/for edge edge-a/) });
  });

  it('drops a flipped signature bit, an unknown kid, a flipped payload bit and garbage', () => {
    const badSig = Uint8Array.from(signed);
    badSig[badSig.length - 1] = (badSig[badSig.length - 1] ?? 0) ^ 1;
    expect(checkOrder(badSig, keys, 'edge-a', now)).toMatchObject({ kind: 'drop', why: expect.stringMatching(/bad signature/) });
    expect(checkOrder(sign1(encodeMsg(order), 'core-2', core.seed), keys, 'edge-a', now)).toMatchObject({ kind: 'drop', why: expect.stringMatching(/unknown kid/) });
    // Every single-bit flip anywhere in the message is refused, never accepted.
    for (let i = 0; i < signed.length; i++) {
      const m = Uint8Array.from(signed);
      m[i] = (m[i] ?? 0) ^ 0x01;
      expect(checkOrder(m, keys, 'edge-a', now).kind).toBe('drop');
    }
    expect(checkOrder(new Uint8Array([0xff, 0x00]), keys, 'edge-a', now).kind).toBe('drop');
  });

  it('drops a signed payload that is not an order, and oversized input before decoding', () => {
    const junk = sign1(encodeCbor({ t: 'deploy', oid: 42 }), 'core-1', core.seed);
    expect(checkOrder(junk, keys, 'edge-a', now)).toMatchObject({ kind: 'drop', why: expect.stringMatching(/does not parse/) });
    expect(checkOrder(new Uint8Array(MAX_ORDER_BYTES + 1), keys, 'edge-a', now)).toMatchObject({ kind: 'drop', why: expect.stringMatching(/exceeds/) });
  });

  it('refuses bad key configuration with TypeError', () => {
    expect(() => coreKeyMap([{ kid: 'k', publicKey: new Uint8Array(31) }])).toThrow(TypeError);
    expect(() => coreKeyMap([{ kid: 'k', publicKey: core.publicKey }, { kid: 'k', publicKey: core.publicKey }])).toThrow(TypeError);
  });
});
