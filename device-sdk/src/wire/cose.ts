// COSE_Sign1 with EdDSA [RFC9052 §4.2, §4.4; RFC9053 §2.2].
// Protected header {1: -8} plus 4: kid; payload is the deterministic CBOR of the signed object.
import { CborTag, decodeCbor, encodeCbor, utf8Encode, type DecodeLimits } from './cbor.js';
import { SimedgeError } from './codes.js';
import { nodeEd25519Sync } from './ed25519.js';
import type { KeyObject } from 'node:crypto';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const COSE_SIGN1_TAG = 18;
export const ALG_EDDSA = -8;

export interface Sign1 {
  /** Key id from the protected header, as text (we use UTF-8 kids). */
  kid: string;
  payload: Uint8Array;
  signature: Uint8Array;
  /** The bytes the signature covers: Sig_structure [RFC9052 §4.4]. */
  toBeSigned: Uint8Array;
}

function protectedHeader(kid: string): Uint8Array {
  return encodeCbor(new Map<number, unknown>([[1, ALG_EDDSA], [4, encodeUtf8Kid(kid)]]));
}

function encodeUtf8Kid(kid: string): Uint8Array {
  const b = typeof kid === 'string' ? utf8Encode(kid) : new Uint8Array(0);
  // \p{Cs} in u-mode matches only lone surrogates, which have no UTF-8 form.
  if (b.length === 0 || b.length > 64 || /\p{Cs}/u.test(kid)) throw new TypeError('kid must be 1..64 bytes of UTF-8 text');
  return b;
}

/** [RFC9052 §4.4] Sig_structure = ["Signature1", body_protected, external_aad, payload]. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** Build the to-be-signed bytes and assemble the tagged COSE_Sign1 once signed. */
export function sign1Prepare(payload: Uint8Array, kid: string): { toBeSigned: Uint8Array; finish(signature: Uint8Array): Uint8Array } {
  const prot = protectedHeader(kid);
  const tbs = sigStructure(prot, payload);
  return {
    toBeSigned: tbs,
    finish: (signature) => encodeCbor(new CborTag(COSE_SIGN1_TAG, [prot, new Map(), payload, signature])),
  };
}

/** Sign with node:crypto (sync). */
export function sign1(payload: Uint8Array, kid: string, seed: Uint8Array | KeyObject): Uint8Array {
  const p = sign1Prepare(payload, kid);
  return p.finish(nodeEd25519Sync.sign(p.toBeSigned, seed));
}

/** Sign with any Ed25519 implementation (async, e.g. @noble/ed25519). */
export async function sign1Async(payload: Uint8Array, kid: string, sign: (m: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const p = sign1Prepare(payload, kid);
  return p.finish(await sign(p.toBeSigned));
}

/**
 * Parse a COSE_Sign1 (tagged or untagged) from hostile bytes. Checks structure and the EdDSA
 * algorithm; does NOT verify the signature (call verify on `toBeSigned`).
 */
export function decodeSign1(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Sign1 {
  let v = decodeCbor(bytes, { ...limits, tags: [COSE_SIGN1_TAG] });
  if (v instanceof CborTag) v = v.value;
  if (!Array.isArray(v) || v.length !== 4) throw new SimedgeError('COSE_INVALID', 'expected a 4-element array');
  const [prot, unprot, payload, signature] = v as unknown[];
  if (!(prot instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new SimedgeError('COSE_INVALID', 'protected, payload and signature must be byte strings');
  }
  if (!(unprot instanceof Map) && !(typeof unprot === 'object' && unprot !== null && !Array.isArray(unprot))) {
    throw new SimedgeError('COSE_INVALID', 'unprotected header must be a map');
  }
  const hdr = decodeCbor(prot, { maxBytes: 256, maxDepth: 2, maxItems: 16 });
  if (!(hdr instanceof Map)) throw new SimedgeError('COSE_INVALID', 'protected header must be a map with integer labels');
  if (hdr.get(1) !== ALG_EDDSA) throw new SimedgeError('COSE_INVALID', 'alg must be EdDSA (-8)');
  const kidBytes = hdr.get(4);
  if (!(kidBytes instanceof Uint8Array) || kidBytes.length === 0 || kidBytes.length > 64) {
    throw new SimedgeError('COSE_INVALID', 'kid (label 4) must be a byte string of 1..64 bytes');
  }
  if (signature.length !== 64) throw new SimedgeError('COSE_INVALID', 'EdDSA signature must be 64 bytes');
  let kid: string;
  try {
    // Strict: a lenient decode would map different kid bytes to the same U+FFFD-laden text.
    kid = strictUtf8.decode(kidBytes);
  } catch {
    throw new SimedgeError('COSE_INVALID', 'kid (label 4) must be UTF-8 text');
  }
  return {
    kid,
    payload,
    signature,
    toBeSigned: sigStructure(prot, payload),
  };
}

/** Verify a parsed Sign1 with node:crypto. */
export function verifySign1(s: Sign1, publicKey: Uint8Array | KeyObject): boolean {
  return nodeEd25519Sync.verify(s.signature, s.toBeSigned, publicKey);
}
