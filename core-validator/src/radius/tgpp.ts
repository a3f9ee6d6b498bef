// The 3GPP vendor-specific attributes of the Gi/SGi RADIUS interface [TS29.061 §16.4.7]:
// Vendor-Specific (26) with Vendor-Id 10415, sub-attributes in the RFC 2865 §5.26 layout
// (vendor-type, vendor-length, value). Only those the core needs are decoded; the rest are skipped.
import { SimedgeError, taiName } from '@simedge/device-sdk/wire';

export { taiName }; // the TAI naming is shared with the network simulator (wire/messages.ts)
import { decodeAttributes, type Attribute } from './packet.js';

/** [RFC2865 §5.26] */
export const VENDOR_SPECIFIC = 26;
/** 3GPP's SMI Private Enterprise Code [TS29.061 §16.4.7]. */
export const VENDOR_3GPP = 10415;
export const TGPP_IMSI = 1;
export const TGPP_SGSN_MCC_MNC = 18;
export const TGPP_USER_LOCATION_INFO = 22;

/** Geographic Location Types of 3GPP-User-Location-Info [TS29.061 §16.4.7.2] [TS29.274 §8.21]. */
export const GEO_ECGI = 129;
export const GEO_TAI_ECGI = 130;

export interface Uli {
  /** MCC+MNC of the ECGI */
  plmn: string;
  /** 16-bit TAC as 4 upper-case hex digits, when the TAI is present (type 130) */
  tac?: string;
  /** MCC+MNC of the TAI, when present (type 130); with network sharing it may differ from the ECGI's */
  taiPlmn?: string;
  /** 28-bit E-UTRAN cell identity [TS36.413 §9.2.1.38] */
  eci: number;
}

/** The 3GPP sub-attributes of every Vendor-Specific attribute with Vendor-Id 10415. */
export function tgppAttributes(attrs: readonly Attribute[]): Attribute[] {
  const out: Attribute[] = [];
  for (const a of attrs) {
    if (a.type !== VENDOR_SPECIFIC) continue;
    if (a.value.length < 4) throw new SimedgeError('RADIUS_MALFORMED', 'Vendor-Specific shorter than its Vendor-Id');
    const vendor = new DataView(a.value.buffer, a.value.byteOffset, 4).getUint32(0);
    if (vendor !== VENDOR_3GPP) continue;
    // The 3GPP sub-attributes use the same Type/Length/Value tiling as top-level attributes.
    out.push(...decodeAttributes(a.value.subarray(4)));
  }
  return out;
}

/** One Vendor-Specific attribute carrying one 3GPP sub-attribute. */
export function tgppAttribute(type: number, value: Uint8Array): Attribute {
  const v = new Uint8Array(6 + value.length);
  new DataView(v.buffer).setUint32(0, VENDOR_3GPP);
  v[4] = type;
  v[5] = value.length + 2;
  v.set(value, 6);
  return { type: VENDOR_SPECIFIC, value: v };
}

/**
 * [TS29.274 §8.21.4] / [TS24.008 §10.5.1.3] MCC/MNC in 3 octets of BCD: MCC2|MCC1, MNC3|MCC3,
 * MNC2|MNC1, with MNC3 = 0xF for a 2-digit MNC.
 */
export function decodePlmn(b: Uint8Array): string {
  const d = [b[0]! & 0xf, b[0]! >> 4, b[1]! & 0xf, b[2]! & 0xf, b[2]! >> 4, b[1]! >> 4];
  const mnc3 = d[5]!;
  const digits = mnc3 === 0xf ? d.slice(0, 5) : d;
  if (digits.some((x) => x > 9)) throw new SimedgeError('RADIUS_MALFORMED', 'PLMN is not BCD');
  return digits.join('');
}

export function encodePlmn(plmn: string): Uint8Array {
  if (!/^[0-9]{5,6}$/.test(plmn)) throw new RangeError(`PLMN ${plmn} must be 5-6 digits`);
  const d = [...plmn].map(Number);
  const mnc3 = d.length === 6 ? d[5]! : 0xf;
  return Uint8Array.of((d[1]! << 4) | d[0]!, (mnc3 << 4) | d[2]!, (d[4]! << 4) | d[3]!);
}

/** [TS29.061 §16.4.7.2] 3GPP-User-Location-Info of type ECGI (129) or TAI+ECGI (130). */
export function decodeUli(v: Uint8Array): Uli | undefined {
  const type = v[0];
  let ecgi: Uint8Array;
  let tac: string | undefined;
  let taiPlmn: string | undefined;
  if (type === GEO_ECGI && v.length === 8) {
    ecgi = v.subarray(1, 8);
  } else if (type === GEO_TAI_ECGI && v.length === 13) {
    // TAI = PLMN (3) + TAC (2) [TS29.274 §8.21.4]; ECGI = PLMN (3) + 4 spare bits + ECI (28) [§8.21.5]
    taiPlmn = decodePlmn(v.subarray(1, 4));
    tac = ((v[4]! << 8) | v[5]!).toString(16).toUpperCase().padStart(4, '0');
    ecgi = v.subarray(6, 13);
  } else if (type === GEO_ECGI || type === GEO_TAI_ECGI) {
    throw new SimedgeError('RADIUS_MALFORMED', `User-Location-Info type ${type} of ${v.length} octets`);
  } else {
    return undefined; // CGI/SAI/RAI/5GS types: no E-UTRAN cell to place the device by
  }
  const eci = new DataView(ecgi.buffer, ecgi.byteOffset + 3, 4).getUint32(0) & 0x0fffffff;
  return { plmn: decodePlmn(ecgi.subarray(0, 3)), eci, ...(tac !== undefined && taiPlmn !== undefined && { tac, taiPlmn }) };
}

/** [TS29.061 §16.4.7.2] type 130: TAI + ECGI. */
export function encodeUliTaiEcgi(plmn: string, tac: number, eci: number): Uint8Array {
  if (!Number.isInteger(tac) || tac < 0 || tac > 0xffff) throw new RangeError('TAC must be 16 bits');
  if (!Number.isInteger(eci) || eci < 0 || eci > 0x0fffffff) throw new RangeError('ECI must be 28 bits');
  const p = encodePlmn(plmn);
  const v = new Uint8Array(13);
  v[0] = GEO_TAI_ECGI;
  v.set(p, 1);
  v[4] = tac >> 8;
  v[5] = tac & 0xff;
  v.set(p, 6);
  new DataView(v.buffer).setUint32(9, eci);
  return v;
}

/**
 * The core's name for a cell: the ECI as 8 upper-case hex digits ('01A2D101'). This is how the
 * network simulator names cells (id = ci, 28 bits written with 8 digits), so placement tables
 * keyed by simulator cell ids work unchanged with RADIUS intake.
 */
export function cellName(eci: number): string {
  return eci.toString(16).toUpperCase().padStart(8, '0');
}

