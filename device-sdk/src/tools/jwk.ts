// Ed25519 keys as JSON Web Keys [RFC8037 §2]: {"kty":"OKP","crv":"Ed25519","kid","x","d"} with
// base64url (no padding) values [RFC7515 §2]. The public form omits `d`. Parsing is strict: a key
// file is a trust anchor, so anything odd is KEY_FILE_INVALID rather than guessed at.
import { SimedgeError } from '../wire/codes.js';
import { nodeEd25519Sync } from '../wire/ed25519.js';

/** A public key with its key id (what the trust store and `verify` need). */
export interface PublicKeyInfo {
  kid: string;
  publicKey: Uint8Array;
}

/** A key pair: `seed` is the 32-byte Ed25519 secret [RFC8032 §5.1.5]. */
export interface KeyPair extends PublicKeyInfo {
  seed: Uint8Array;
}

export interface PublicJwk { kty: 'OKP'; crv: 'Ed25519'; kid: string; x: string }
export interface PrivateJwk extends PublicJwk { d: string }

const B64URL_32 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/; // 32 bytes = 43 chars, last one carries 4 bits
const KID = /^[\x21-\x7e]{1,64}$/; // printable ASCII: it goes into file names, logs and COSE headers

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function bytes32(v: unknown, field: string, where: string): Uint8Array {
  if (typeof v !== 'string' || !B64URL_32.test(v)) throw new SimedgeError('KEY_FILE_INVALID', `${where}: "${field}" must be 32 bytes of base64url without padding`);
  return new Uint8Array(Buffer.from(v, 'base64url'));
}

/** Check a kid for key files: 1..64 printable ASCII characters without spaces. */
export function checkKid(kid: unknown): string {
  if (typeof kid !== 'string' || !KID.test(kid)) throw new TypeError('kid must be 1..64 printable ASCII characters without spaces');
  return kid;
}

/**
 * Parse a JWK object. Returns a KeyPair when `d` is present (and checks that `x` belongs to it),
 * else the public key. `where` names the source in error messages.
 */
export function parseJwk(v: unknown, where = 'key'): PublicKeyInfo | KeyPair {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SimedgeError('KEY_FILE_INVALID', `${where}: not a JSON object`);
  const o = v as Record<string, unknown>;
  if (o.kty !== 'OKP' || o.crv !== 'Ed25519') throw new SimedgeError('KEY_FILE_INVALID', `${where}: must have "kty": "OKP" and "crv": "Ed25519"`);
  if (typeof o.kid !== 'string' || !KID.test(o.kid)) throw new SimedgeError('KEY_FILE_INVALID', `${where}: "kid" must be 1..64 printable ASCII characters`);
  const publicKey = bytes32(o.x, 'x', where);
  if (o.d === undefined) return { kid: o.kid, publicKey };
  const seed = bytes32(o.d, 'd', where);
  if (!Buffer.from(nodeEd25519Sync.publicKey(seed)).equals(publicKey)) {
    throw new SimedgeError('KEY_FILE_INVALID', `${where}: "x" is not the public key of "d"`);
  }
  return { kid: o.kid, publicKey, seed };
}

export function isKeyPair(k: PublicKeyInfo): k is KeyPair {
  return (k as KeyPair).seed instanceof Uint8Array;
}

export function toPublicJwk(k: PublicKeyInfo): PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', kid: k.kid, x: b64u(k.publicKey) };
}

export function toPrivateJwk(k: KeyPair): PrivateJwk {
  return { ...toPublicJwk(k), d: b64u(k.seed) };
}
