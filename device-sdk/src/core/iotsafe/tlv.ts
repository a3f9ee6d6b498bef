// BER-TLV with one-byte tags, as the IoT SAFE applet uses them (lengths in short form or 81 xx).
// [ISO7816-4 §5.2] [GSMA IoT.05-A03]
import { SimedgeError } from '../../wire/codes.js';
import { rangeError } from '../platform.js';
import { FULL } from '../flags.js';

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  // FULL: the Espruino bundle's values are the SDK's own, all short (core/flags.ts).
  if (FULL && value.length > 255) throw rangeError('tlv: value longer than 255 bytes');
  const head = value.length > 127 ? [tag, 0x81, value.length] : [tag, value.length];
  const out = new Uint8Array(head.length + value.length);
  out.set(head, 0);
  out.set(value, head.length);
  return out;
}

/** The value of the first `tag` at the top level of data; undefined when absent. */
export function findTlv(data: Uint8Array, tag: number): Uint8Array | undefined {
  let i = 0;
  while (i < data.length) {
    const t = data[i] as number;
    let len = data[i + 1];
    let off = i + 2;
    if (len !== undefined && len > 0x80) {
      if (len !== 0x81) throw new SimedgeError('IOTSAFE_FAILED', 'TLV length form not supported');
      len = data[i + 2];
      off = i + 3;
    }
    if (len === undefined || off + len > data.length) throw new SimedgeError('IOTSAFE_FAILED', 'malformed TLV in applet response');
    if (t === tag) return data.subarray(off, off + len);
    i = off + len;
  }
  return undefined;
}
