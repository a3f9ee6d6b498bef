// IoT SAFE SIM proof [DESIGN "Trust"; GSMA IoT.05]: the SIM applet signs
//   nonce ‖ SHA-256(tpl COSE bytes as sent) ‖ IMSI (ASCII digits)
// with its P-256 key (ECDSA with SHA-256 over that concatenation), and the core verifies it with
// the public key registered for the SIM's ICCID. Applets and modems hand out signatures either
// DER-encoded [RFC3279 §2.2.3] or raw r‖s (64 bytes, IEEE P1363), and keys either as SPKI DER
// [RFC5480] or as a bare uncompressed point [SEC1 §2.3.3].
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

const P256_POINT = 65;
const RAW_SIG = 64;

/** Parse a registered SIM key; TypeError when it is not a P-256 public key. */
export function simPublicKey(bytes: Uint8Array): KeyObject {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new TypeError('SIM key: expected bytes');
  let key: KeyObject;
  try {
    if (bytes.length === P256_POINT && bytes[0] === 0x04) {
      const b = Buffer.from(bytes);
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b.subarray(1, 33).toString('base64url'), y: b.subarray(33).toString('base64url') }, format: 'jwk' });
    } else {
      key = createPublicKey({ key: Buffer.from(bytes), format: 'der', type: 'spki' });
    }
  } catch (e) {
    throw new TypeError(`SIM key: not a P-256 public key (${e instanceof Error ? e.message : String(e)})`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('SIM key: not a P-256 public key');
  }
  return key;
}

/** The exact bytes the SIM signs. */
export function simProofMessage(nonce: Uint8Array, tpl: Uint8Array, imsi: string): Uint8Array {
  const digest = createHash('sha256').update(tpl).digest();
  return Buffer.concat([nonce, digest, Buffer.from(imsi, 'ascii')]);
}

/** True when `proof` (DER or raw r‖s) verifies; malformed input is simply false. */
export function verifySimProof(key: KeyObject, nonce: Uint8Array, tpl: Uint8Array, imsi: string, proof: Uint8Array): boolean {
  try {
    return verify('sha256', simProofMessage(nonce, tpl, imsi), { key, dsaEncoding: proof.length === RAW_SIG ? 'ieee-p1363' : 'der' }, proof);
  } catch {
    return false;
  }
}
