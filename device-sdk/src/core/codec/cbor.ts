// A tiny CBOR codec for the device [RFC8949], written in the Espruino language subset
// (reference/espruino.md): no Map, spread, destructuring, TextEncoder or BigInt.
//
// Encoding is the core deterministic encoding of [RFC8949 §4.2.1] for what the device sends:
// text-keyed maps (keys sorted by their encoded bytes), integers within ±(2^53-1), byte and text
// strings, arrays, booleans and null; it gives the same bytes as wire/cbor.ts encodeCbor. Floats
// are not needed by any up message and are refused (TypeError) to keep the code small.
//
// Decoding takes hostile input with size limits and returns plain values (objects for text-keyed
// maps, Uint8Array, arrays, strings, numbers, booleans, null). It throws only SimedgeError:
// CBOR_TOO_LARGE, CBOR_INCOMPLETE (input ends inside an item), CBOR_LIMIT (depth, items) and
// CBOR_INVALID for everything outside that subset (tags, floats, undefined, simple values,
// indefinite lengths, invalid UTF-8, non-text map keys, duplicate or `__proto__` keys, trailing
// bytes, integers beyond ±(2^53-1)).
//
// Lean profile (FULL false, the Espruino bundle; core/flags-lean.ts): the encoder handles what
// the up messages hold - one text-keyed map of ASCII text and byte strings (wire/messages.ts
// Hello, Prov, Bye) - and refuses anything else (TypeError); text is decoded as byte strings
// (Espruino's own string form, reference/espruino.md) without UTF-8 validation; integer heads of
// 8 bytes are CBOR_INVALID (no down message carries a number beyond 3600). Size and depth limits,
// duplicate and `__proto__` keys, tags, floats and trailing bytes are checked as in the full
// profile: the decoder still takes hostile input (STYLE #10).
import { SimedgeError } from '../../wire/codes.js';
import { DETAIL, FULL } from '../flags.js';
import { has, rangeError } from '../platform.js';
import { toByteString } from '../transport/bytes.js';

export interface DeviceLimits {
  /** Largest input accepted, in bytes (default 4096: down messages are small). */
  maxBytes?: number;
  /** Deepest nesting of arrays and maps (default 8). */
  maxDepth?: number;
  /** Most data items, all levels together (default 256). */
  maxItems?: number;
}

const MAX_SAFE = 9007199254740991;

// ---------------------------------------------------------------- encoder

function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return new Uint8Array([m | n]);
  if (n < 0x100) return new Uint8Array([m | 24, n]);
  if (n < 0x10000) return new Uint8Array([m | 25, n >> 8, n & 0xff]);
  // The lean profile's lengths stay far below 2^32 (a publish carries at most 10 KiB).
  if (!FULL || n < 0x100000000) return new Uint8Array([m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const hi = Math.floor(n / 0x100000000);
  const lo = n - hi * 0x100000000;
  return new Uint8Array([m | 27, 0, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff]);
}

/** UTF-8 of a JS string (surrogate pairs joined; a lone surrogate is encoded as is, like encodeCbor). */
export function utf8(s: string): Uint8Array {
  return FULL ? utf8Full(s) : ascii(s);
}

/** The lean profile's text: ASCII only, which is all an up message carries (ids, digits, hex). */
function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new TypeError('CBOR encode: the lean profile sends ASCII text only');
    b[i] = c;
  }
  return b;
}

function utf8Full(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

function less(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return a.length < b.length;
}

/**
 * The lean profile's encoder: one map of ASCII text and byte strings, which is every up message
 * (wire/messages.ts Hello, Prov, Bye); anything else is a TypeError. Same bytes as put().
 */
function putFlat(parts: Uint8Array[], v: unknown): void {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || Array.isArray(v)) throw new TypeError('CBOR encode: the lean profile sends one map');
  const o = v as { [k: string]: unknown };
  // [RFC8949 §4.2.1] ASCII keys shorter than 24 characters encode as one head byte that grows
  // with the length, then the characters: so shorter first, then by character code.
  const names = Object.keys(o).filter((k) => o[k] !== undefined).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  parts.push(head(5, names.length));
  for (let i = 0; i < names.length; i++) {
    const k = ascii(names[i] as string);
    const x = o[names[i] as string];
    parts.push(head(3, k.length), k);
    if (typeof x === 'string') {
      const b = ascii(x);
      parts.push(head(3, b.length), b);
    } else if (x instanceof Uint8Array) parts.push(head(2, x.length), x);
    else throw new TypeError('CBOR encode: the lean profile sends text and byte strings only');
  }
}

// Parts are collected and joined once: a template of several KB is referenced, not copied per item.
function put(parts: Uint8Array[], v: unknown, depth: number): void {
  if (depth > 16) throw rangeError('CBOR encode: nesting deeper than 16');
  if (v === null) parts.push(new Uint8Array([0xf6]));
  else if (v === false) parts.push(new Uint8Array([0xf4]));
  else if (v === true) parts.push(new Uint8Array([0xf5]));
  else if (typeof v === 'number') {
    if (v !== Math.floor(v) || v > MAX_SAFE || v < -MAX_SAFE || 1 / v === -Infinity) throw new TypeError('CBOR encode: only integers within +-(2^53-1)');
    parts.push(v >= 0 ? head(0, v) : head(1, -1 - v));
  } else if (typeof v === 'string') {
    const b = utf8(v);
    parts.push(head(3, b.length), b);
  } else if (v instanceof Uint8Array) parts.push(head(2, v.length), v);
  else if (Array.isArray(v)) {
    parts.push(head(4, v.length));
    for (let i = 0; i < v.length; i++) put(parts, v[i], depth + 1);
  } else if (typeof v === 'object') {
    const o = v as { [k: string]: unknown };
    const keys: Uint8Array[] = [];
    const names: string[] = [];
    const all = Object.keys(o);
    // [RFC8949 §4.2.1] keys in the bytewise order of their encodings (insertion sort: maps are small).
    for (let i = 0; i < all.length; i++) {
      const k = all[i] as string;
      if (o[k] === undefined) continue;
      const e = utf8(k);
      const h = head(3, e.length);
      const key = new Uint8Array(h.length + e.length);
      key.set(h, 0);
      key.set(e, h.length);
      let j = keys.length;
      while (j > 0 && less(key, keys[j - 1] as Uint8Array)) j--;
      keys.splice(j, 0, key);
      names.splice(j, 0, k);
    }
    parts.push(head(5, keys.length));
    for (let i = 0; i < keys.length; i++) {
      parts.push(keys[i] as Uint8Array);
      put(parts, o[names[i] as string], depth + 1);
    }
  } else throw new TypeError('CBOR encode: unsupported ' + typeof v);
}

/** Deterministic CBOR of a message [RFC8949 §4.2.1]; undefined properties are skipped. */
export function encode(v: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  if (FULL) put(parts, v, 0);
  else putFlat(parts, v);
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += (parts[i] as Uint8Array).length;
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i] as Uint8Array, at);
    at += (parts[i] as Uint8Array).length;
  }
  return out;
}

// ---------------------------------------------------------------- decoder

function bad(code: 'CBOR_INCOMPLETE' | 'CBOR_INVALID' | 'CBOR_LIMIT', detail: string): never {
  throw new SimedgeError(code, DETAIL ? detail : undefined);
}

/** Strict UTF-8 decode [RFC3629 §4]: no overlong forms, surrogates or code points beyond U+10FFFF. */
function text(b: Uint8Array, from: number, to: number): string {
  let s = '';
  let i = from;
  while (i < to) {
    const c = b[i++] as number;
    let n = 0;
    let cp = c;
    let min = 0;
    if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 7; min = 0x10000; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 15; min = 0x800; }
    else if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 31; min = 0x80; }
    else if (c >= 0x80) bad('CBOR_INVALID', 'invalid UTF-8');
    if (i + n > to) bad('CBOR_INVALID', 'invalid UTF-8');
    for (let k = 0; k < n; k++) {
      const d = b[i++] as number;
      if ((d & 0xc0) !== 0x80) bad('CBOR_INVALID', 'invalid UTF-8');
      cp = (cp << 6) | (d & 63);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) bad('CBOR_INVALID', 'invalid UTF-8');
    if (cp < 0x10000) s += String.fromCharCode(cp);
    else s += String.fromCharCode(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 1023));
  }
  return s;
}

/**
 * Decode one CBOR item from hostile bytes; throws only SimedgeError with a CBOR_* code.
 * One walk with the position and item count in local variables of this call: the inner
 * functions close over them instead of passing a reader object (shorter on Espruino, where the
 * source is the RAM cost, and nothing to allocate per item).
 */
export function decode(b: Uint8Array, limits?: DeviceLimits): unknown {
  const l = FULL && limits ? limits : {}; // FULL: the Espruino bundle decodes with the defaults
  const max = FULL && l.maxBytes !== undefined ? l.maxBytes : 4096;
  if (!(b instanceof Uint8Array)) throw new SimedgeError('CBOR_INVALID', 'not bytes');
  if (b.length > max) throw new SimedgeError('CBOR_TOO_LARGE', b.length + ' > ' + max + ' bytes');
  const maxDepth = FULL && l.maxDepth !== undefined ? l.maxDepth : 8;
  const maxItems = FULL && l.maxItems !== undefined ? l.maxItems : 256;
  let at = 0;
  let items = 0;

  // Checked before any allocation: a declared length never exceeds the input.
  const take = (n: number): number => {
    if (at + n > b.length) bad('CBOR_INCOMPLETE', 'ends at byte ' + b.length);
    at += n;
    return at - n;
  };

  const word = (): number => {
    const i = take(4);
    return ((b[i] as number) << 24 >>> 0) + ((b[i + 1] as number) << 16) + ((b[i + 2] as number) << 8) + (b[i + 3] as number);
  };

  /** The argument of a head with additional info ai [RFC8949 §3]. */
  const arg = (ai: number): number => {
    if (ai < 24) return ai;
    if (ai === 24) return b[take(1)] as number;
    if (ai === 25) {
      const i = take(2);
      return ((b[i] as number) << 8) | (b[i + 1] as number);
    }
    if (ai === 26) return word();
    // The lean profile refuses 8-byte heads: no down message carries a number beyond 3600.
    if (FULL && ai === 27) {
      const hi = word();
      if (hi > 0x1fffff) bad('CBOR_INVALID', 'integer beyond 2^53-1');
      return hi * 0x100000000 + word();
    }
    return bad('CBOR_INVALID', DETAIL ? (ai === 31 ? 'indefinite length' : 'reserved additional info ' + ai) : '');
  };

  const item = (depth: number): unknown => {
    if (++items > maxItems) bad('CBOR_LIMIT', 'more than ' + maxItems + ' items');
    if (depth > maxDepth) bad('CBOR_LIMIT', 'nesting deeper than ' + maxDepth);
    const ib = b[take(1)] as number;
    const major = ib >> 5;
    const ai = ib & 31;
    if (major === 7) {
      if (ai === 20) return false;
      if (ai === 21) return true;
      if (ai === 22) return null;
      return bad('CBOR_INVALID', DETAIL ? (ai >= 25 && ai <= 27 ? 'floats are not used' : 'simple value ' + ai) : '');
    }
    if (major === 6) return bad('CBOR_INVALID', 'tags are not used');
    const n = arg(ai);
    if (major === 0) return n;
    if (major === 1) return n < MAX_SAFE ? -1 - n : bad('CBOR_INVALID', 'integer beyond -(2^53-1)');
    if (major === 2 || major === 3) {
      const i = take(n);
      // The lean profile's text is the bytes as a byte string, Espruino's own string form.
      return major === 2 ? b.slice(i, i + n) : FULL ? text(b, i, i + n) : toByteString(b.slice(i, i + n));
    }
    if (n > b.length - at) bad('CBOR_INCOMPLETE', 'declared ' + n + ' entries');
    if (major === 4) {
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(item(depth + 1));
      return a;
    }
    const o: { [k: string]: unknown } = {};
    for (let i = 0; i < n; i++) {
      const k = item(depth + 1);
      if (typeof k !== 'string') bad('CBOR_INVALID', 'map keys must be text');
      if (k === '__proto__' || has(o, k)) bad('CBOR_INVALID', 'map key ' + k);
      o[k] = item(depth + 1);
    }
    return o;
  };

  const v = item(0);
  if (at !== b.length) bad('CBOR_INVALID', 'trailing bytes');
  return v;
}
