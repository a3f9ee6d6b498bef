// Test helper: an IoT SAFE applet behind a scripted modem's AT+CSIM. A stand-in, because the
// emulated SIM in hardware/ is being built in parallel and the device core must be testable on
// its own. It signs for real: ECDSA P-256 over the 32-byte hash the device sends (node:crypto
// cannot sign a pre-computed digest, so the scalar arithmetic is done here with BigInt; the
// tests verify every signature with node:crypto, which would catch any mistake in it).
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { OK, reply, type Script } from './core-pair.js';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G: Pt = [0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n, 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n];
type Pt = [bigint, bigint] | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function pow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
const inv = (a: bigint, m: bigint) => pow(a, m - 2n, m);
function add(p: Pt, q: Pt): Pt {
  if (!p) return q;
  if (!q) return p;
  if (p[0] === q[0] && mod(p[1] + q[1], P) === 0n) return null;
  const l = p[0] === q[0] && p[1] === q[1]
    ? mod((3n * p[0] * p[0] + A) * inv(2n * p[1], P), P)
    : mod((q[1] - p[1]) * inv(q[0] - p[0], P), P);
  const x = mod(l * l - p[0] - q[0], P);
  return [x, mod(l * (p[0] - x) - p[1], P)];
}
function mul(k: bigint, p: Pt): Pt {
  let r: Pt = null;
  let q = p;
  while (k > 0n) {
    if (k & 1n) r = add(r, q);
    q = add(q, q);
    k >>= 1n;
  }
  return r;
}
const big = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
const be32 = (v: bigint) => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));

/** ECDSA P-256 over a 32-byte digest [SEC1 §4.1.3]; raw r‖s. */
export function signDigest(key: KeyObject, digest: Uint8Array): Uint8Array {
  const d = big(Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url'));
  const z = big(digest);
  for (;;) {
    const k = mod(big(randomBytes(32)), N);
    if (k === 0n) continue;
    const R = mul(k, G) as [bigint, bigint];
    const r = mod(R[0], N);
    const s = mod(inv(k, N) * (z + r * d), N);
    if (r !== 0n && s !== 0n) return new Uint8Array([...be32(r), ...be32(s)]);
  }
}

/** DER form of a raw r‖s signature. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const int = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const t = v.subarray(i);
    return (t[0] as number) & 0x80 ? [0x02, t.length + 1, 0, ...t] : [0x02, t.length, ...t];
  };
  const body = [...int(raw.subarray(0, 32)), ...int(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}

export interface AppletOptions {
  sigForm?: 'raw' | 'der';
  /** Write +CSIM replies without quotes. */
  unquoted?: boolean;
  /** Answer the signature with 61xx and hand it out in GET RESPONSE chunks of this size. */
  chunk?: number;
  /** Status word to answer an instruction with instead of doing it (e.g. { 0x2a: 0x6a88 }). */
  failIns?: { [ins: number]: number };
  /** Reply to AT+CSIM with ERROR for this instruction. */
  atErrorIns?: number;
}

const hex = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex').toUpperCase();

export class FakeIotSafeApplet {
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
  readonly apdus: string[] = [];
  readonly open = new Set<number>();
  readonly closed: number[] = [];
  private selected = new Set<number>();
  private keyOk = false;
  private pending: Uint8Array | undefined;

  constructor(private readonly o: AppletOptions = {}) {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = createPrivateKey(kp.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    this.publicKey = kp.publicKey;
  }

  /** The scripted modem's handler for AT+CSIM. */
  readonly script: Script = (cmd) => {
    const m = /^AT\+CSIM=(\d+),"([0-9A-F]+)"$/.exec(cmd);
    if (!m) return reply('ERROR');
    if (Number(m[1]) !== m[2]!.length) return reply('+CME ERROR: 50');
    const apdu = Uint8Array.from(Buffer.from(m[2]!, 'hex'));
    this.apdus.push(m[2]!);
    if (this.o.atErrorIns !== undefined && apdu[1] === this.o.atErrorIns) return reply('ERROR');
    const r = this.handle(apdu);
    const h = hex(r);
    return reply(this.o.unquoted ? `+CSIM: ${h.length},${h}` : `+CSIM: ${h.length},"${h}"`, 'OK');
  };

  private channelOf(cla: number): number {
    return cla & 0x40 ? (cla & 0x0f) + 4 : cla & 0x03;
  }

  private handle(a: Uint8Array): number[] {
    const [cla, ins, p1, p2] = [a[0]!, a[1]!, a[2]!, a[3]!];
    const ch = this.channelOf(cla);
    const fail = this.o.failIns?.[ins];
    if (fail !== undefined) return [fail >> 8, fail & 0xff];
    const data = a.subarray(5, 5 + (a[4] ?? 0));
    switch (ins) {
      case 0x70:
        if (p1 === 0x00) {
          const n = [1, 2, 3].find((c) => !this.open.has(c));
          if (n === undefined) return [0x6a, 0x81];
          this.open.add(n);
          return [n, 0x90, 0x00];
        }
        if (!this.open.delete(p2)) return [0x68, 0x81];
        this.closed.push(p2);
        this.selected.delete(p2);
        return [0x90, 0x00];
      case 0xa4:
        if (!this.open.has(ch)) return [0x68, 0x81];
        if (hex(data) !== 'A0000005590010') return [0x6a, 0x82];
        this.selected.add(ch);
        return [0x90, 0x00];
      case 0x2a: {
        if (!this.selected.has(ch) || (cla & 0x80) === 0) return [0x69, 0x85];
        // 84 01 01 (key id 1) or 74 <label "iot">, then A1 01 03, 91 01 01, 92 01 04
        const t = hex(data);
        this.keyOk = (t.startsWith('840101') || t.startsWith('7403696F74')) && t.endsWith('A10103910101920104') && p2 === 1;
        return this.keyOk ? [0x90, 0x00] : [0x6a, 0x80];
      }
      case 0x2b: {
        if (!this.keyOk || p1 !== 0x80 || data[0] !== 0x9e || data[1] !== 32) return [0x69, 0x85];
        const raw = signDigest(this.key, data.subarray(2, 34));
        const sig = this.o.sigForm === 'der' ? rawToDer(raw) : raw;
        const out = Uint8Array.from([0x33, sig.length, ...sig]);
        if (!this.o.chunk) return [...out, 0x90, 0x00];
        this.pending = out;
        return [0x61, Math.min(out.length, this.o.chunk)];
      }
      case 0xc0: {
        const p = this.pending;
        if (!p) return [0x6f, 0x00];
        const n = a[4] || 256;
        const part = p.subarray(0, n);
        this.pending = p.length > n ? p.subarray(n) : undefined;
        const rest = this.pending ? [0x61, Math.min(this.pending.length, this.o.chunk ?? 256)] : [0x90, 0x00];
        return [...part, ...rest];
      }
      default:
        return [0x6d, 0x00];
    }
  }
}

export { OK };
