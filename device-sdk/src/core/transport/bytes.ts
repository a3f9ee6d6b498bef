// Small portable byte helpers for the modem drivers and the IoT SAFE client: hex both ways, byte
// strings (one char per byte, as the AT framer and Espruino use them) and concatenation. No
// Buffer, TextEncoder or spread: these run on Espruino too.

/** Bytes of a hex string (either case); undefined when it is not whole bytes of hex. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substring(2 * i, 2 * i + 2), 16);
  return out;
}

/** Upper-case hex, as AT+CSIM and the modems' hex modes write it. */
export function upperHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const v = b[i] as number;
    s += (v < 16 ? '0' : '') + v.toString(16).toUpperCase();
  }
  return s;
}

/** A byte string (char codes 0..255) as bytes. */
export function byteString(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Bytes as a byte string. */
export function toByteString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** Concatenate byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += (parts[i] as Uint8Array).length;
  const out = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as Uint8Array;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Topics travel as ASCII (simedge topics are); anything else is refused before it reaches a modem. */
export function asciiTopic(topic: string, max: number): Uint8Array {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > max || !/^[\x20-\x7e]+$/.test(topic) || topic.indexOf('"') >= 0) {
    throw new TypeError('topic must be 1..' + max + ' printable ASCII characters without quotes');
  }
  return byteString(topic);
}
