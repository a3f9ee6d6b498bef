// ECDSA on NIST P-256 over a caller-supplied digest [FIPS 186-5 §6.4.1; SEC 1 v2 §4.1.3].
// node:crypto only signs messages it hashes itself, but the IoT SAFE applet signs a SHA-256 the
// host computed (COMPUTE SIGNATURE with tag 9E), so the emulated applet needs this. A deliberately
// small, single-file unit (BigInt, Jacobian coordinates, random k by rejection sampling); it
// runs in a test bench, never guards a real secret, and is checked against node:crypto's verify.
import { randomBytes, type KeyObject } from 'node:crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

type Jac = [bigint, bigint, bigint]; // (X, Y, Z), infinity when Z = 0

const mod = (a: bigint, m: bigint): bigint => { const r = a % m; return r < 0n ? r + m : r; };

function inv(a: bigint, m: bigint): bigint {
  // Fermat: a^(m-2) mod m (m prime)
  let result = 1n;
  let base = mod(a, m);
  let e = m - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % m;
    base = (base * base) % m;
    e >>= 1n;
  }
  return result;
}

function double([x, y, z]: Jac): Jac {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const yy = mod(y * y, P);
  const s = mod(4n * x * yy, P);
  const zz = mod(z * z, P);
  const m = mod(3n * x * x + A * zz * zz, P);
  const x3 = mod(m * m - 2n * s, P);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, P);
  const z3 = mod(2n * y * z, P);
  return [x3, y3, z3];
}

function add(p: Jac, q: Jac): Jac {
  if (p[2] === 0n) return q;
  if (q[2] === 0n) return p;
  const z1z1 = mod(p[2] * p[2], P);
  const z2z2 = mod(q[2] * q[2], P);
  const u1 = mod(p[0] * z2z2, P);
  const u2 = mod(q[0] * z1z1, P);
  const s1 = mod(p[1] * q[2] * z2z2, P);
  const s2 = mod(q[1] * p[2] * z1z1, P);
  if (u1 === u2) return s1 === s2 ? double(p) : [0n, 1n, 0n];
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  const hh = mod(h * h, P);
  const hhh = mod(h * hh, P);
  const v = mod(u1 * hh, P);
  const x3 = mod(r * r - hhh - 2n * v, P);
  const y3 = mod(r * (v - x3) - s1 * hhh, P);
  const z3 = mod(p[2] * q[2] * h, P);
  return [x3, y3, z3];
}

function mulG(k: bigint): bigint /* affine x */ {
  let acc: Jac = [0n, 1n, 0n];
  let pt: Jac = [GX, GY, 1n];
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) acc = add(acc, pt);
    pt = double(pt);
  }
  const zi = inv(acc[2], P);
  return mod(acc[0] * zi * zi, P);
}

const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));
const to32 = (n: bigint): Uint8Array => new Uint8Array(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));

/** The private scalar of a P-256 KeyObject. */
export function privateScalar(key: KeyObject): bigint {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new TypeError('expected a P-256 private key');
  return toBig(Buffer.from(jwk.d, 'base64url'));
}

/** Raw r‖s (64 bytes) over a 32-byte digest [FIPS 186-5 §6.4.1]. */
export function signDigest(d: bigint, digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new RangeError('digest must be 32 bytes');
  const e = mod(toBig(digest), N);
  for (;;) {
    const k = toBig(randomBytes(32));
    if (k === 0n || k >= N) continue;
    const r = mod(mulG(k), N);
    if (r === 0n) continue;
    const s = mod(inv(k, N) * (e + r * d), N);
    if (s === 0n) continue;
    const out = new Uint8Array(64);
    out.set(to32(r), 0);
    out.set(to32(s), 32);
    return out;
  }
}

/** ASN.1 DER Ecdsa-Sig-Value from raw r‖s [SEC 1 v2 §C.5]. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array): number[] => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = Array.from(b.subarray(i));
    if ((v[0] as number) & 0x80) v.unshift(0);
    return [0x02, v.length, ...v];
  };
  const body = [...int(raw.subarray(0, 32)), ...int(raw.subarray(32))];
  return Uint8Array.from([0x30, body.length, ...body]);
}
