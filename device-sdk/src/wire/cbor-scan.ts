// Well-formedness and subset check of hostile CBOR, run before cbor-x materialises anything.
//
// cbor-x is fast but permissive: it silently strips tag 55799, turns tags 0/1 into Dates and 2/3
// into BigInts, keeps the last of duplicate map keys, decodes invalid UTF-8 leniently and knows its
// own packed/record extensions. One linear pass over the bytes here enforces our subset and limits
// first, so cbor-x only ever sees items we accept [RFC8949 §5.3, §5.6]:
//   - definite lengths only (deterministic encoding never uses indefinite ones) [RFC8949 §4.2.1];
//   - integers within ±(2^53-1) (JS numbers; we never send bignums);
//   - simple values false/true/null and floats only (no undefined, no other simple values);
//   - tags only from `limits.tags`;
//   - text strings valid UTF-8 [RFC8949 §3.1 major type 3];
//   - map keys integers or text, never duplicated [RFC8949 §5.6];
//   - depth, item count and exactly one item with no trailing bytes.
// Truncated input is reported as CBOR_INCOMPLETE, never as CBOR_INVALID (STYLE #5).
import { SimedgeError } from './codes.js';
import type { DecodeLimits } from './cbor.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalid(why: string): never {
  throw new SimedgeError('CBOR_INVALID', why);
}

/** Throws CBOR_INCOMPLETE / CBOR_INVALID / CBOR_LIMIT, or returns when `b` is one acceptable item. */
export function scanCbor(b: Uint8Array, lim: DecodeLimits): void {
  let pos = 0;
  let items = 0;

  const need = (n: number): void => {
    if (pos + n > b.length) throw new SimedgeError('CBOR_INCOMPLETE', `needs ${pos + n - b.length} more bytes at offset ${pos}`);
  };

  // The argument of an initial byte [RFC8949 §3]: 0..23 inline, 24..27 in 1/2/4/8 following bytes.
  const argument = (ai: number): number => {
    if (ai < 24) return ai;
    if (ai === 24) { need(1); return b[pos++] as number; }
    if (ai === 25) { need(2); const v = ((b[pos] as number) << 8) | (b[pos + 1] as number); pos += 2; return v; }
    if (ai === 26) {
      need(4);
      const v = (b[pos] as number) * 0x1000000 + (((b[pos + 1] as number) << 16) | ((b[pos + 2] as number) << 8) | (b[pos + 3] as number));
      pos += 4;
      return v;
    }
    if (ai === 27) {
      need(8);
      let v = 0;
      for (let i = 0; i < 8; i++) v = v * 256 + (b[pos + i] as number);
      pos += 8;
      return v; // exact up to 2^53, which is all we accept
    }
    if (ai === 31) invalid('indefinite-length items are not used');
    return invalid(`reserved additional information ${ai}`);
  };

  const count = (n: number): void => {
    if (n > lim.maxItems - items) throw new SimedgeError('CBOR_LIMIT', `more than ${lim.maxItems} items`);
  };

  const item = (depth: number): { major: number; key: string } => {
    if (++items > lim.maxItems) throw new SimedgeError('CBOR_LIMIT', `more than ${lim.maxItems} items`);
    if (depth > lim.maxDepth) throw new SimedgeError('CBOR_LIMIT', `nesting deeper than ${lim.maxDepth}`);
    need(1);
    const start = pos;
    const ib = b[pos++] as number;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    if (major === 7) {
      if (ai === 20 || ai === 21 || ai === 22) return { major, key: '' };
      if (ai === 23) invalid('undefined is not used');
      if (ai === 25) { need(2); pos += 2; return { major, key: '' }; }
      if (ai === 26) { need(4); pos += 4; return { major, key: '' }; }
      if (ai === 27) { need(8); pos += 8; return { major, key: '' }; }
      if (ai === 31) invalid('break code outside an indefinite-length item');
      if (ai === 24) { need(1); invalid(`simple value ${b[pos] as number} is not used`); }
      if (ai > 24) invalid(`reserved additional information ${ai}`);
      invalid(`simple value ${ai} is not used`);
    }
    const n = argument(ai);
    switch (major) {
      case 0:
      case 1:
        // Our values are JS numbers: refuse what cannot round-trip exactly.
        if (n > (major === 0 ? Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER - 1)) invalid('integer outside ±(2^53-1)');
        return { major, key: `${major}:${n}` };
      case 2:
        need(n);
        pos += n;
        return { major, key: '' };
      case 3: {
        need(n);
        const text = b.subarray(pos, pos + n);
        pos += n;
        let s = '';
        try {
          s = utf8.decode(text);
        } catch {
          invalid('text string is not valid UTF-8');
        }
        return { major, key: `3:${s}` }; // valid UTF-8 <-> text is one-to-one, so equal keys are equal bytes
      }
      case 4:
        count(n);
        for (let i = 0; i < n; i++) item(depth + 1);
        return { major, key: '' };
      case 5: {
        count(2 * n);
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const k = item(depth + 1);
          if (k.major !== 0 && k.major !== 1 && k.major !== 3) invalid('map keys must be integers or text');
          if (seen.has(k.key)) invalid(`duplicate map key at offset ${start}`);
          seen.add(k.key);
          item(depth + 1);
        }
        return { major, key: '' };
      }
      default: // 6: tag
        if (!lim.tags.includes(n)) invalid(`tag ${n} not allowed`);
        item(depth + 1);
        return { major, key: '' };
    }
  };

  item(0);
  if (pos !== b.length) invalid(`${b.length - pos} bytes after the item`);
}
