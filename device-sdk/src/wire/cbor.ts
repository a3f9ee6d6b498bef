// CBOR for the wire format [RFC8949].
//
// Encoding is ours: the core deterministic encoding of [RFC8949 §4.2.1] (preferred
// serialisation, shortest floats that keep the value, map keys sorted by their encoded bytes,
// definite lengths). cbor-x does not sort keys nor emit half-precision floats, and everything
// we sign must encode to the same bytes on every runtime. The encoder uses only Uint8Array and
// DataView so the device core can use it on Espruino and XS too.
//
// Decoding of hostile input is `decodeCbor`: one pass (cbor-decode.ts) that enforces size,
// depth and item limits and our subset (no unknown tags, bignums, undefined, simple values,
// indefinite lengths, duplicate keys or invalid UTF-8) while it builds the value; maps with text
// keys become plain objects without ever touching `__proto__`.
import { SimedgeError } from './codes.js';
import { CborTag, decodeItem, type DecodeLimits } from './cbor-decode.js';

export { CborTag, type DecodeLimits };

// ---------------------------------------------------------------- encoder

class Writer {
  buf = new Uint8Array(256);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  head(major: number, n: number): void {
    const m = major << 5;
    if (n < 24) this.byte(m | n);
    else if (n < 0x100) { this.byte(m | 24); this.byte(n); }
    else if (n < 0x10000) { this.byte(m | 25); this.byte(n >> 8); this.byte(n & 0xff); }
    else if (n < 0x100000000) {
      this.byte(m | 26);
      this.byte((n >>> 24) & 0xff); this.byte((n >> 16) & 0xff); this.byte((n >> 8) & 0xff); this.byte(n & 0xff);
    } else {
      this.byte(m | 27);
      const hi = Math.floor(n / 0x100000000);
      const lo = n - hi * 0x100000000;
      this.byte((hi >>> 24) & 0xff); this.byte((hi >> 16) & 0xff); this.byte((hi >> 8) & 0xff); this.byte(hi & 0xff);
      this.byte((lo >>> 24) & 0xff); this.byte((lo >> 16) & 0xff); this.byte((lo >> 8) & 0xff); this.byte(lo & 0xff);
    }
  }
}

/** UTF-8 encode without TextEncoder (absent on Espruino). */
export function utf8Encode(s: string): Uint8Array {
  // ASCII (every field name and id on the wire): one byte per char, no intermediate array.
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (ascii) {
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return b;
  }
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

function halfBits(v: number): number | undefined {
  // Returns the binary16 bits if v is exactly representable as a half float [IEEE 754].
  const f32 = new DataView(new ArrayBuffer(4));
  f32.setFloat32(0, v);
  if (f32.getFloat32(0) !== v) return undefined;
  const x = f32.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp === 0 && mant === 0) return sign;
  const e = exp - 127;
  if (e >= -14 && e <= 15) {
    if (mant & 0x1fff) return undefined;
    return sign | ((e + 15) << 10) | (mant >> 13);
  }
  if (e >= -24 && e < -14) {
    const shift = -14 - e; // subnormal half: value = m * 2^-24
    const full = mant | 0x800000;
    const drop = 13 + shift;
    if (full & ((1 << drop) - 1)) return undefined;
    return sign | (full >> drop);
  }
  return undefined;
}

function writeFloat(w: Writer, v: number): void {
  if (Number.isNaN(v)) { w.byte(0xf9); w.byte(0x7e); w.byte(0x00); return; }
  const h = halfBits(v);
  if (h !== undefined) { w.byte(0xf9); w.byte(h >> 8); w.byte(h & 0xff); return; }
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat32(0, v);
  if (dv.getFloat32(0) === v) {
    w.byte(0xfa);
    for (let i = 0; i < 4; i++) w.byte(dv.getUint8(i));
    return;
  }
  dv.setFloat64(0, v);
  w.byte(0xfb);
  for (let i = 0; i < 8; i++) w.byte(dv.getUint8(i));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function writeItem(w: Writer, v: unknown, depth: number): void {
  if (depth > 64) throw new RangeError('CBOR encode: nesting deeper than 64');
  if (v === null) { w.byte(0xf6); return; }
  if (v === undefined) { w.byte(0xf7); return; }
  if (v === false) { w.byte(0xf4); return; }
  if (v === true) { w.byte(0xf5); return; }
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      if (v >= 0) w.head(0, v); else w.head(1, -1 - v);
    } else writeFloat(w, v);
    return;
  }
  if (typeof v === 'string') {
    const b = utf8Encode(v);
    w.head(3, b.length);
    w.bytes(b);
    return;
  }
  if (v instanceof Uint8Array) { w.head(2, v.length); w.bytes(v); return; }
  if (Array.isArray(v)) {
    w.head(4, v.length);
    for (const x of v) writeItem(w, x, depth + 1);
    return;
  }
  if (v instanceof CborTag) { w.head(6, v.tag); writeItem(w, v.value, depth + 1); return; }
  let entries: Array<[unknown, unknown]>;
  if (v instanceof Map) entries = [...v.entries()];
  else if (typeof v === 'object') entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  else throw new TypeError(`CBOR encode: unsupported type ${typeof v}`);
  // [RFC8949 §4.2.1] keys sorted by the bytewise order of their deterministic encodings.
  const encoded = entries.map(([k, x]) => [encodeKey(k), x] as const);
  encoded.sort((a, b) => compareBytes(a[0], b[0]));
  for (let i = 1; i < encoded.length; i++) {
    if (compareBytes((encoded[i - 1] as readonly [Uint8Array, unknown])[0], (encoded[i] as readonly [Uint8Array, unknown])[0]) === 0) {
      throw new TypeError('CBOR encode: duplicate map key');
    }
  }
  w.head(5, encoded.length);
  for (const [k, x] of encoded) { w.bytes(k); writeItem(w, x, depth + 1); }
}

/** Encoded text keys seen before: the same few field names ('t', 'rid', 'pid', ...) are encoded
 *  for every message, and each was a fresh writer. Bounded; the bytes are only ever copied from. */
const KEY_CACHE = new Map<string, Uint8Array>();
const KEY_CACHE_MAX = 512;

function encodeKey(k: unknown): Uint8Array {
  if (typeof k !== 'string') return encodeCbor(k);
  const hit = KEY_CACHE.get(k);
  if (hit) return hit;
  const b = encodeCbor(k);
  if (k.length <= 32 && KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(k, b);
  return b;
}

/** Deterministically encode a value [RFC8949 §4.2.1]. Objects skip undefined properties. */
export function encodeCbor(v: unknown): Uint8Array {
  const w = new Writer();
  writeItem(w, v, 0);
  return w.buf.slice(0, w.len);
}

// ---------------------------------------------------------------- decoder

export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 16 * 1024, maxDepth: 16, maxItems: 2048, tags: [] };

/**
 * Decode one CBOR item from hostile input. Throws SimedgeError with code CBOR_TOO_LARGE,
 * CBOR_INCOMPLETE (truncated input), CBOR_INVALID or CBOR_LIMIT; never anything else.
 */
export function decodeCbor(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): unknown {
  const lim: DecodeLimits = { ...DEFAULT_LIMITS, ...limits };
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeCbor: bytes must be a Uint8Array');
  if (bytes.length > lim.maxBytes) throw new SimedgeError('CBOR_TOO_LARGE', `${bytes.length} > ${lim.maxBytes} bytes`);
  if (bytes.length === 0) throw new SimedgeError('CBOR_INCOMPLETE', 'empty input');
  return decodeItem(bytes, lim);
}
