// Byte helpers shared by the emulator and the dialects: AT text is one byte per character
// (Latin-1), payloads are raw bytes, and a URC mixing both must leave the modem in one piece.

/** One byte per character (the AT channel is 8-bit clean, not UTF-8). */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Text and byte parts joined into one buffer. */
export function concat(parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  const bufs = parts.map((p) => (typeof p === 'string' ? ascii(p) : p));
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bufs) { out.set(b, o); o += b.length; }
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();
}

/** Strict hex decoding; undefined for odd length or a non-hex character. */
export function fromHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** MQTT topics are UTF-8 on the wire; the AT channel carries them byte for byte. */
export function topicFromBytes(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}

/** A topic as AT bytes (UTF-8 encoded, one char per byte). */
export function topicToAt(topic: string): string {
  return Buffer.from(topic, 'utf8').toString('latin1');
}

/** A topic from an AT string parameter (chars are bytes) back to a JS string. */
export function topicFromAt(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}
