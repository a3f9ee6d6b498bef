// Command APDUs (short form, cases 1-4) and BER-TLV with one-byte tags as the IoT SAFE applet
// uses them [ISO/IEC 7816-4 §5.1, §5.2], and the status words the emulated card answers with
// [ISO/IEC 7816-4 §5.6; TS 102.221 §10.2].

export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURITY_NOT_SATISFIED: 0x6982,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  NO_MORE_CHANNELS: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

export interface Apdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length; 256 for Le = 00, undefined when absent. */
  le: number | undefined;
}

/** Short APDU cases 1-4 [ISO/IEC 7816-4 §5.1]; undefined when the lengths do not add up. */
export function parseApdu(b: Uint8Array): Apdu | undefined {
  if (b.length < 4) return undefined;
  const [cla, ins, p1, p2] = [b[0] as number, b[1] as number, b[2] as number, b[3] as number];
  if (b.length === 4) return { cla, ins, p1, p2, data: new Uint8Array(0), le: undefined };
  const l = b[4] as number;
  if (b.length === 5) return { cla, ins, p1, p2, data: new Uint8Array(0), le: l === 0 ? 256 : l };
  if (l === 0) return undefined; // extended length: not over +CSIM here
  if (b.length === 5 + l) return { cla, ins, p1, p2, data: b.slice(5), le: undefined };
  if (b.length === 6 + l) {
    const le = b[5 + l] as number;
    return { cla, ins, p1, p2, data: b.slice(5, 5 + l), le: le === 0 ? 256 : le };
  }
  return undefined;
}

/** Logical channel encoded in CLA: 0-3 in b1-b2, 4-19 in b1-b4 of the further-interindustry form [7816-4 §5.4.1]. */
export function channelOf(cla: number): number {
  return (cla & 0x40) === 0 ? cla & 0x03 : 4 + (cla & 0x0f);
}

/** One-byte-tag TLVs in order; undefined for truncated input or multi-byte lengths > 2 bytes. */
export function parseTlvs(b: Uint8Array): Array<{ tag: number; value: Uint8Array }> | undefined {
  const out: Array<{ tag: number; value: Uint8Array }> = [];
  let i = 0;
  while (i < b.length) {
    if (i + 2 > b.length) return undefined;
    const tag = b[i] as number;
    let len = b[i + 1] as number;
    i += 2;
    if (len === 0x81) { if (i >= b.length) return undefined; len = b[i] as number; i += 1; }
    else if (len > 0x80) return undefined;
    if (i + len > b.length) return undefined;
    out.push({ tag, value: b.slice(i, i + len) });
    i += len;
  }
  return out;
}

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const head = value.length < 0x80 ? [tag, value.length] : [tag, 0x81, value.length];
  if (value.length > 0xff) throw new RangeError('TLV value too long');
  return Uint8Array.from([...head, ...value]);
}

export function withSw(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
