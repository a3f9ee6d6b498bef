// ECDSA signature forms: raw r‖s (what IoT SAFE specifies in tag 33) and DER
// `SEQUENCE { INTEGER r, INTEGER s }` (what some applets return). [RFC3279 §2.2.3] [SEC1 §4.1]
import { SimedgeError } from '../../wire/codes.js';

/** One DER INTEGER at b[i] into a big-endian field of `size` bytes; returns the next index. */
function readInt(b: Uint8Array, i: number, size: number, out: Uint8Array, at: number): number {
  if (b[i] !== 0x02) throw new SimedgeError('IOTSAFE_FAILED', 'DER signature: INTEGER expected');
  const len = b[i + 1];
  if (len === undefined || len < 1 || len > size + 1 || i + 2 + len > b.length) throw new SimedgeError('IOTSAFE_FAILED', 'DER signature: bad INTEGER length');
  let v = b.subarray(i + 2, i + 2 + len);
  if (len > size) {
    if (v[0] !== 0) throw new SimedgeError('IOTSAFE_FAILED', 'DER signature: INTEGER too large');
    v = v.subarray(1);
  }
  out.set(v, at + size - v.length);
  return i + 2 + len;
}

/** DER ECDSA signature → raw r‖s of 2×size bytes (size 32 for P-256). */
export function derToRaw(der: Uint8Array, size: number): Uint8Array {
  if (der[0] !== 0x30 || der[1] === undefined || der[1] > 0x7f || der[1] + 2 !== der.length) {
    throw new SimedgeError('IOTSAFE_FAILED', 'DER signature: SEQUENCE length mismatch');
  }
  const out = new Uint8Array(2 * size);
  const next = readInt(der, 2, size, out, 0);
  const end = readInt(der, next, size, out, size);
  if (end !== der.length) throw new SimedgeError('IOTSAFE_FAILED', 'DER signature: trailing bytes');
  return out;
}

/** A tag-33 value as raw r‖s: 64 bytes are raw already, a SEQUENCE is DER. */
export function signatureToRaw(v: Uint8Array): Uint8Array {
  if (v.length === 64) return v.slice();
  if (v[0] === 0x30) return derToRaw(v, 32);
  throw new SimedgeError('IOTSAFE_FAILED', 'signature is neither 64-byte r||s nor DER (' + v.length + ' bytes)');
}
