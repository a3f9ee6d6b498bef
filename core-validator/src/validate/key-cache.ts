// Parsed public keys, kept by their bytes. Parsing a key into a node:crypto KeyObject costs about
// as much as the verify itself, and the same few manufacturer keys (and each SIM's key) come back
// on every request. Only the parse is cached: whether a key is trusted, revoked or in its window
// is read from the store on every request, so an operator's change applies at once.
import { publicKeyObject } from '@simedge/device-sdk/wire';
import type { KeyObject } from 'node:crypto';
import { simPublicKey } from '../simproof.js';

/** A small LRU map: a Map iterates in insertion order, so the first key is the least recent. */
class Lru {
  private readonly map = new Map<string, KeyObject>();
  constructor(private readonly max: number) {}
  get(k: string, make: () => KeyObject): KeyObject {
    const hit = this.map.get(k);
    if (hit) {
      this.map.delete(k);
      this.map.set(k, hit);
      return hit;
    }
    const v = make(); // throws on a bad key: nothing cached
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
    return v;
  }
}

const ed25519 = new Lru(256);
// One per SIM that proves: sized for a busy core's working set, not for every SIM it knows.
const p256 = new Lru(16_384);

const id = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/** The manufacturer's Ed25519 key as a KeyObject. */
export function trustKeyObject(pub: Uint8Array): KeyObject {
  return ed25519.get(id(pub), () => publicKeyObject(pub));
}

/** The SIM's registered P-256 key as a KeyObject (TypeError when it is not one). */
export function simKeyObject(bytes: Uint8Array): KeyObject {
  return p256.get(id(bytes), () => simPublicKey(bytes));
}
