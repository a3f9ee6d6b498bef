// Ed25519 [RFC8032] behind one small interface, with two implementations:
// `nodeEd25519` uses node:crypto (about 13x faster here, used by core and edge) and
// `nobleEd25519` uses @noble/ed25519 (pure JS, the portable path for XS). Keys are raw:
// a 32-byte seed (secret) and a 32-byte public key.
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, randomBytes, type KeyObject } from 'node:crypto';
import * as noble from '@noble/ed25519';

export interface Ed25519 {
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  sign(message: Uint8Array, seed: Uint8Array): Promise<Uint8Array>;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

// DER prefixes for raw Ed25519 keys [RFC8410 §7].
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function concat(a: Uint8Array, b: Uint8Array): Buffer {
  return Buffer.concat([a, b]);
}

function check(name: string, b: Uint8Array, len: number): void {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new TypeError(`${name} must be ${len} bytes`);
}

export function privateKeyObject(seed: Uint8Array): KeyObject {
  check('seed', seed, 32);
  return createPrivateKey({ key: concat(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(pub: Uint8Array): KeyObject {
  check('public key', pub, 32);
  return createPublicKey({ key: concat(SPKI_PREFIX, pub), format: 'der', type: 'spki' });
}

/** Synchronous node:crypto primitives (the fast path on core and edge). */
export const nodeEd25519Sync = {
  publicKey(seed: Uint8Array): Uint8Array {
    const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  },
  sign(message: Uint8Array, seed: Uint8Array | KeyObject): Uint8Array {
    const key = seed instanceof Uint8Array ? privateKeyObject(seed) : seed;
    return new Uint8Array(cryptoSign(null, message, key));
  },
  verify(signature: Uint8Array, message: Uint8Array, pub: Uint8Array | KeyObject): boolean {
    if (signature.length !== 64) return false;
    try {
      const key = pub instanceof Uint8Array ? publicKeyObject(pub) : pub;
      return cryptoVerify(null, message, key, signature);
    } catch {
      return false;
    }
  },
};

export const nodeEd25519: Ed25519 = {
  publicKey: async (seed) => nodeEd25519Sync.publicKey(seed),
  sign: async (m, seed) => nodeEd25519Sync.sign(m, seed),
  verify: async (s, m, p) => nodeEd25519Sync.verify(s, m, p),
};

export const nobleEd25519: Ed25519 = {
  publicKey: (seed) => noble.getPublicKeyAsync(seed),
  sign: (m, seed) => noble.signAsync(m, seed),
  async verify(s, m, p) {
    try {
      return await noble.verifyAsync(s, m, p);
    } catch {
      return false;
    }
  },
};

/** A fresh Ed25519 key pair from the OS random source. */
export function generateKeyPair(): { seed: Uint8Array; publicKey: Uint8Array } {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, publicKey: nodeEd25519Sync.publicKey(seed) };
}
