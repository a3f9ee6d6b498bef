// Manufacturer keys for the trust store, from an admin request body: kid, the Ed25519 public key
// as a JWK [RFC8037 §2] (`{"kty":"OKP","crv":"Ed25519","x":…}`) or 64 hex digits, mfr, allowed
// classes and a validity window (seconds since the epoch, or ISO 8601 text). Everything is checked
// here so a bad key is refused with ADMIN_BAD_REQUEST and the trust store never changes.
import { SimedgeError } from '@simedge/device-sdk/wire';
import type { TrustKey } from '../store/types.js';

const KID = /^[\x21-\x7e]{1,64}$/; // the COSE kid rule of the key files (printable ASCII)
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const MFR = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const bad = (why: string): never => {
  throw new SimedgeError('ADMIN_BAD_REQUEST', why);
};

function publicKeyOf(v: unknown): { key: Uint8Array; kid?: string } {
  if (typeof v === 'string') {
    const hex = v.trim().replace(/^0x/, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) bad('publicKey: 64 hex digits (32 bytes) or a JWK object expected');
    return { key: new Uint8Array(Buffer.from(hex, 'hex')) };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('publicKey: 64 hex digits or a JWK object expected');
  const j = v as Record<string, unknown>;
  if (j.kty !== 'OKP' || j.crv !== 'Ed25519') bad('publicKey: a JWK must have "kty": "OKP" and "crv": "Ed25519"');
  // A private JWK pasted by mistake must not end up in the trust store (or in a log).
  if (j.d !== undefined) bad('publicKey: this JWK holds a private key ("d"); send only the public key');
  if (typeof j.x !== 'string' || !B64URL_32.test(j.x)) bad('publicKey: JWK "x" must be 32 bytes of base64url');
  const key = new Uint8Array(Buffer.from(j.x as string, 'base64url'));
  return typeof j.kid === 'string' ? { key, kid: j.kid } : { key };
}

function seconds(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Math.floor(Date.parse(v) / 1000);
  return bad(`${field}: seconds since the epoch or an ISO 8601 time expected`);
}

/** Build a TrustKey from a `POST /v1/keys` body. */
export function trustKeyFromBody(b: Record<string, unknown>): TrustKey {
  const pk = publicKeyOf(b.publicKey);
  const kid = b.kid ?? pk.kid;
  if (typeof kid !== 'string' || !KID.test(kid)) return bad('kid: 1 to 64 printable ASCII characters expected');
  if (pk.kid !== undefined && pk.kid !== kid) bad(`kid '${kid}' differs from the JWK's kid '${pk.kid}'`);
  if (typeof b.mfr !== 'string' || !MFR.test(b.mfr)) bad('mfr: a manufacturer id (letters, digits, . _ -) expected');
  const k: TrustKey = { kid, publicKey: pk.key, mfr: b.mfr as string };
  if (b.classes !== undefined) {
    if (!Array.isArray(b.classes) || b.classes.length === 0 || !b.classes.every((c) => typeof c === 'string' && c.length > 0 && c.length <= 64)) {
      bad('classes: a non-empty list of device class names expected');
    }
    k.classes = [...new Set(b.classes as string[])];
  }
  const nb = seconds(b.notBefore, 'notBefore');
  const na = seconds(b.notAfter, 'notAfter');
  if (nb !== undefined) k.notBefore = nb;
  if (na !== undefined) k.notAfter = na;
  if (nb !== undefined && na !== undefined && na <= nb) bad('notAfter must be after notBefore');
  const known = new Set(['kid', 'publicKey', 'mfr', 'classes', 'notBefore', 'notAfter']);
  const extra = Object.keys(b).filter((x) => !known.has(x));
  if (extra.length > 0) bad(`unknown field ${extra[0]?.slice(0, 40)}`);
  return k;
}

/** The key as the API shows it: the public key as a JWK and as hex, the window as ISO times. */
export function keyView(k: TrustKey): Record<string, unknown> {
  return {
    kid: k.kid, mfr: k.mfr, revoked: k.revoked === true,
    publicKey: { kty: 'OKP', crv: 'Ed25519', kid: k.kid, x: Buffer.from(k.publicKey).toString('base64url') },
    publicKeyHex: Buffer.from(k.publicKey).toString('hex'),
    ...(k.classes && { classes: k.classes }),
    ...(k.notBefore !== undefined && { notBefore: k.notBefore, notBeforeIso: new Date(k.notBefore * 1000).toISOString() }),
    ...(k.notAfter !== undefined && { notAfter: k.notAfter, notAfterIso: new Date(k.notAfter * 1000).toISOString() }),
  };
}
