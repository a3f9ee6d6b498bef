// RADIUS packet framing and the accounting authenticators [RFC2865 §3, §5] [RFC2866 §3].
// Datagrams are hostile input: every length is checked before it is used, and anything
// inconsistent is a SimedgeError RADIUS_MALFORMED. The `radius` npm package is not used for
// this: it compares authenticators as UTF-8 strings (lossy, so distinct bytes can compare equal),
// accepts attributes that run past the packet end, and keeps its dictionary in global state.
import { SimedgeError } from '@simedge/device-sdk/wire';
import { createHash, timingSafeEqual } from 'node:crypto';

/** [RFC2865 §3] packet codes used by accounting [RFC2866 §3]. */
export const ACCOUNTING_REQUEST = 4;
export const ACCOUNTING_RESPONSE = 5;

/** [RFC2865 §3] minimum and maximum packet length. */
const MIN_LEN = 20;
const MAX_LEN = 4096;
const AUTH_LEN = 16;

export interface Attribute { type: number; value: Uint8Array }

export interface Packet {
  code: number;
  id: number;
  authenticator: Uint8Array;
  attributes: Attribute[];
}

/** Split a datagram into header and attributes; octets past the Length field are padding [RFC2865 §3]. */
export function decodePacket(buf: Uint8Array): Packet {
  if (buf.length < MIN_LEN) throw new SimedgeError('RADIUS_MALFORMED', `datagram of ${buf.length} octets`);
  const len = (buf[2]! << 8) | buf[3]!;
  if (len < MIN_LEN || len > MAX_LEN || len > buf.length) throw new SimedgeError('RADIUS_MALFORMED', `length field ${len}, datagram ${buf.length}`);
  return { code: buf[0]!, id: buf[1]!, authenticator: buf.slice(4, 20), attributes: decodeAttributes(buf.subarray(20, len)) };
}

/** [RFC2865 §5] Type, Length (≥ 2, covering type and length), Value; they must tile the area exactly. */
export function decodeAttributes(area: Uint8Array): Attribute[] {
  const out: Attribute[] = [];
  let i = 0;
  while (i < area.length) {
    if (i + 2 > area.length) throw new SimedgeError('RADIUS_MALFORMED', `attribute header cut at ${i}`);
    const alen = area[i + 1]!;
    if (alen < 2 || i + alen > area.length) throw new SimedgeError('RADIUS_MALFORMED', `attribute ${area[i]} length ${alen} at ${i}`);
    out.push({ type: area[i]!, value: area.slice(i + 2, i + alen) });
    i += alen;
  }
  return out;
}

export function encodeAttributes(attrs: readonly Attribute[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const a of attrs) {
    if (a.value.length > 253) throw new RangeError(`attribute ${a.type}: value of ${a.value.length} octets exceeds 253`);
    parts.push(Uint8Array.of(a.type, a.value.length + 2), a.value);
  }
  return Buffer.concat(parts);
}

/** Header + attributes with the given authenticator. */
function frame(code: number, id: number, authenticator: Uint8Array, attrs: Uint8Array): Uint8Array {
  const len = MIN_LEN + attrs.length;
  if (len > MAX_LEN) throw new RangeError(`RADIUS packet of ${len} octets exceeds ${MAX_LEN}`);
  const out = new Uint8Array(len);
  out[0] = code;
  out[1] = id;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  out.set(authenticator, 4);
  out.set(attrs, 20);
  return out;
}

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * [RFC2866 §3] Request Authenticator = MD5(Code + Identifier + Length + 16 zero octets +
 * request attributes + shared secret). Returns the finished Accounting-Request.
 */
export function encodeAccountingRequest(id: number, attrs: readonly Attribute[], secret: string): Uint8Array {
  const pkt = frame(ACCOUNTING_REQUEST, id, new Uint8Array(AUTH_LEN), encodeAttributes(attrs));
  pkt.set(md5(pkt, utf8(secret)), 4);
  return pkt;
}

/** [RFC2866 §3] Constant-time check of an Accounting-Request's Request Authenticator. */
export function verifyAccountingRequest(datagram: Uint8Array, secret: string): boolean {
  const len = (datagram[2]! << 8) | datagram[3]!;
  const pkt = Uint8Array.from(datagram.subarray(0, len));
  const got = pkt.slice(4, 20);
  pkt.fill(0, 4, 20);
  return timingSafeEqual(md5(pkt, utf8(secret)), got);
}

/**
 * [RFC2866 §3] Accounting-Response; Response Authenticator = MD5(Code + ID + Length + Request
 * Authenticator + response attributes + shared secret).
 */
export function encodeAccountingResponse(req: Packet, attrs: readonly Attribute[], secret: string): Uint8Array {
  const pkt = frame(ACCOUNTING_RESPONSE, req.id, req.authenticator, encodeAttributes(attrs));
  pkt.set(md5(pkt, utf8(secret)), 4);
  return pkt;
}

/** Does `datagram` answer the request whose authenticator was `requestAuth`? (constant time) */
export function verifyAccountingResponse(datagram: Uint8Array, requestAuth: Uint8Array, secret: string): boolean {
  if (datagram.length < MIN_LEN) return false;
  const len = (datagram[2]! << 8) | datagram[3]!;
  if (len < MIN_LEN || len > datagram.length) return false;
  const pkt = Uint8Array.from(datagram.subarray(0, len));
  const got = pkt.slice(4, 20);
  pkt.set(requestAuth, 4);
  return timingSafeEqual(md5(pkt, utf8(secret)), got);
}
