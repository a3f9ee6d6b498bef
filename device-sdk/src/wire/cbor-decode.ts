// Decoding of hostile CBOR [RFC8949]: one linear pass that checks our subset and limits and
// builds the value as it goes, so nothing is materialised that is then refused:
//   - definite lengths only (deterministic encoding never uses indefinite ones) [RFC8949 §4.2.1];
//   - integers within ±(2^53-1) (JS numbers; we never send bignums);
//   - simple values false/true/null and floats only (no undefined, no other simple values);
//   - tags only from `limits.tags` (a CborTag each);
//   - text strings valid UTF-8 [RFC8949 §3.1 major type 3];
//   - map keys integers or text, never duplicated [RFC8949 §5.6]; a map whose keys are all text
//     becomes a plain object (never with a `__proto__` key), any other map a Map;
//   - depth, item count and exactly one item with no trailing bytes.
// Truncated input is reported as CBOR_INCOMPLETE, never as CBOR_INVALID (STYLE #5). Byte strings
// come back as copies, never as views of the input.
//
// This replaced a pre-scan followed by cbor-x and a conversion walk: three passes and two object
// graphs per message, which cost the core about a third of an Ed25519 verify per `prov`.
import { SimedgeError } from './codes.js';

/** A CBOR tag wrapping a value, e.g. COSE_Sign1 is tag 18. */
export class CborTag {
  constructor(readonly tag: number, readonly value: unknown) {}
}

export interface DecodeLimits {
  /** Largest input accepted, in bytes. */
  maxBytes: number;
  /** Deepest nesting of arrays and maps. */
  maxDepth: number;
  /** Most data items (all levels together). */
  maxItems: number;
  /** Tags allowed to appear (anything else is refused). */
  tags: readonly number[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

interface State {
  readonly b: Uint8Array;
  readonly lim: DecodeLimits;
  pos: number;
  items: number;
  /** Offset of the first `__proto__` key of an all-text map: refused once the whole input is
   *  known to be well-formed, so that any other error is reported first, as the scan did. */
  proto: number;
}

function invalid(why: string): never {
  throw new SimedgeError('CBOR_INVALID', why);
}

function need(st: State, n: number): void {
  if (st.pos + n > st.b.length) throw new SimedgeError('CBOR_INCOMPLETE', `needs ${st.pos + n - st.b.length} more bytes at offset ${st.pos}`);
}

function tooMany(st: State): never {
  throw new SimedgeError('CBOR_LIMIT', `more than ${st.lim.maxItems} items`);
}

/** The argument of an initial byte [RFC8949 §3]: 0..23 inline, 24..27 in 1/2/4/8 following bytes. */
function argument(st: State, ai: number): number {
  const b = st.b;
  if (ai < 24) return ai;
  if (ai === 24) { need(st, 1); return b[st.pos++] as number; }
  if (ai === 25) { need(st, 2); const p = st.pos; st.pos += 2; return ((b[p] as number) << 8) | (b[p + 1] as number); }
  if (ai === 26) {
    need(st, 4);
    const p = st.pos;
    st.pos += 4;
    return (b[p] as number) * 0x1000000 + (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number));
  }
  if (ai === 27) {
    need(st, 8);
    let v = 0;
    for (let i = 0; i < 8; i++) v = v * 256 + (b[st.pos + i] as number);
    st.pos += 8;
    return v; // exact up to 2^53, which is all we accept
  }
  if (ai === 31) invalid('indefinite-length items are not used');
  return invalid(`reserved additional information ${ai}`);
}

/** [IEEE 754 binary16] */
function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function simple(st: State, ai: number): unknown {
  const b = st.b;
  if (ai === 20) return false;
  if (ai === 21) return true;
  if (ai === 22) return null;
  if (ai === 23) invalid('undefined is not used');
  if (ai === 25) { need(st, 2); const p = st.pos; st.pos += 2; return half(((b[p] as number) << 8) | (b[p + 1] as number)); }
  if (ai === 26 || ai === 27) {
    const n = ai === 26 ? 4 : 8;
    need(st, n);
    const view = new DataView(b.buffer, b.byteOffset + st.pos, n);
    st.pos += n;
    return n === 4 ? view.getFloat32(0) : view.getFloat64(0);
  }
  if (ai === 31) invalid('break code outside an indefinite-length item');
  if (ai === 24) { need(st, 1); invalid(`simple value ${b[st.pos] as number} is not used`); }
  if (ai > 24) invalid(`reserved additional information ${ai}`);
  return invalid(`simple value ${ai} is not used`);
}

/** Short ASCII text (every field name and id on the wire) without a TextDecoder call. */
function text(b: Uint8Array, start: number, n: number): string {
  if (n <= 64) {
    let s = '';
    for (let i = start; i < start + n; i++) {
      const c = b[i] as number;
      if (c >= 0x80) return utf8Text(b, start, n);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8Text(b, start, n);
}

function utf8Text(b: Uint8Array, start: number, n: number): string {
  try {
    return utf8.decode(b.subarray(start, start + n));
  } catch {
    return invalid('text string is not valid UTF-8');
  }
}

function item(st: State, depth: number): unknown {
  if (++st.items > st.lim.maxItems) tooMany(st);
  if (depth > st.lim.maxDepth) throw new SimedgeError('CBOR_LIMIT', `nesting deeper than ${st.lim.maxDepth}`);
  need(st, 1);
  const start = st.pos;
  const ib = st.b[st.pos++] as number;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (major === 7) return simple(st, ai);
  const n = argument(st, ai);
  switch (major) {
    case 0:
      // Our values are JS numbers: refuse what cannot round-trip exactly.
      if (n > Number.MAX_SAFE_INTEGER) invalid('integer outside ±(2^53-1)');
      return n;
    case 1:
      if (n > Number.MAX_SAFE_INTEGER - 1) invalid('integer outside ±(2^53-1)');
      return -1 - n;
    case 2: {
      need(st, n);
      const p = st.pos;
      st.pos += n;
      return new Uint8Array(st.b.subarray(p, p + n)); // a copy, even of a Buffer
    }
    case 3: {
      need(st, n);
      const p = st.pos;
      st.pos += n;
      return text(st.b, p, n);
    }
    case 4: {
      if (n > st.lim.maxItems - st.items) tooMany(st);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(item(st, depth + 1));
      return a;
    }
    case 5:
      return map(st, depth, n, start);
    default: // 6: tag
      if (!st.lim.tags.includes(n)) invalid(`tag ${n} not allowed`);
      return new CborTag(n, item(st, depth + 1));
  }
}

function map(st: State, depth: number, n: number, start: number): unknown {
  if (2 * n > st.lim.maxItems - st.items) tooMany(st);
  const keys: (string | number)[] = [];
  const values: unknown[] = [];
  const seen = new Set<string | number>();
  let allText = true;
  for (let i = 0; i < n; i++) {
    const kMajor = st.pos < st.b.length ? (st.b[st.pos] as number) >> 5 : -1;
    const k = item(st, depth + 1);
    if (kMajor !== 0 && kMajor !== 1 && kMajor !== 3) invalid('map keys must be integers or text');
    // Numbers and strings never collide in a Set: 1 and "1" are two keys, as in CBOR.
    if (seen.has(k as string | number)) invalid(`duplicate map key at offset ${start}`);
    seen.add(k as string | number);
    if (kMajor !== 3) allText = false;
    keys.push(k as string | number);
    values.push(item(st, depth + 1));
  }
  if (!allText) {
    const m = new Map<unknown, unknown>();
    for (let i = 0; i < n; i++) m.set(keys[i], values[i]);
    return m;
  }
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const k = keys[i] as string;
    if (k === '__proto__') {
      if (st.proto < 0) st.proto = start;
      continue;
    }
    o[k] = values[i];
  }
  return o;
}

/** One item of `b`, checked against `lim` (size and emptiness are the caller's checks). */
export function decodeItem(b: Uint8Array, lim: DecodeLimits): unknown {
  const st: State = { b, lim, pos: 0, items: 0, proto: -1 };
  const v = item(st, 0);
  if (st.pos !== b.length) invalid(`${b.length - st.pos} bytes after the item`);
  if (st.proto >= 0) invalid('map key __proto__');
  return v;
}
