// What an Accounting-Request says [RFC2866 §5] [TS29.061 §16.4.7]: the status type, the session,
// and (for Start / Interim-Update) who is where: IMSI, framed IP, serving PLMN, E-UTRAN cell and
// tracking area.
// Pure: bytes in, a record out, or a SimedgeError with a stable RADIUS_* code.
import { SimedgeError, isImsi } from '@simedge/device-sdk/wire';
import type { Attribute, Packet } from './packet.js';
import { TGPP_IMSI, TGPP_SGSN_MCC_MNC, TGPP_USER_LOCATION_INFO, cellName, decodeUli, taiName, tgppAttributes } from './tgpp.js';

/** [RFC2865 §5.4, §5.8, §5.32] [RFC2866 §5.1, §5.2, §5.5] */
export const NAS_IP_ADDRESS = 4;
export const FRAMED_IP_ADDRESS = 8;
export const NAS_IDENTIFIER = 32;
export const PROXY_STATE = 33;
export const ACCT_STATUS_TYPE = 40;
export const ACCT_DELAY_TIME = 41;
export const ACCT_SESSION_ID = 44;

/** [RFC2866 §5.1] Acct-Status-Type values. */
export const STATUS = { start: 1, stop: 2, interim: 3, on: 7, off: 8 } as const;
export type Status = keyof typeof STATUS;

export interface AccountingRecord {
  status: Status;
  /** Acct-Session-Id; empty for Accounting-On/Off, which concern the whole NAS. */
  session: string;
  imsi?: string;
  ip?: string;
  plmn?: string;
  cell?: string;
  /** TAI name (`taiName`), when User-Location-Info is of type 130 (TAI + ECGI). */
  tai?: string;
  /** Acct-Delay-Time: seconds the NAS has been trying to send this record [RFC2866 §5.2]. */
  delaySec: number;
  /** NAS-IP-Address and NAS-Identifier, when sent: who the NAS is (`nasName`). */
  nasIp?: string;
  nasId?: string;
}

/**
 * The name the intake gives the NAS that sent a record, so that an Accounting-On/Off finds the
 * sessions that NAS reported [RFC2866 §5.1]: its NAS-IP-Address [RFC2865 §5.4], else the
 * packet's source address (as FreeRADIUS does), followed by `/` and its NAS-Identifier
 * [RFC2865 §5.32] when it sends one. The attributes keep NASes apart that share a source address
 * (behind a RADIUS proxy, or several simulated PGWs on one host); an accounting request carries
 * at least one of them [RFC2866 §4.1]. A NAS must name itself the same way in its On/Off as in
 * its session records.
 */
export function nasName(rec: Pick<AccountingRecord, 'nasIp' | 'nasId'>, source: string): string {
  const ip = rec.nasIp ?? source;
  return rec.nasId !== undefined ? `${ip}/${rec.nasId}` : ip;
}

function ipv4(v: Uint8Array, name: string): string {
  if (v.length !== 4) throw new SimedgeError('RADIUS_MALFORMED', `${name} is not 4 octets`);
  return [...v].join('.');
}

const text = (v: Uint8Array) => new TextDecoder('utf-8', { fatal: false }).decode(v);

function u32(v: Uint8Array, name: string): number {
  if (v.length !== 4) throw new SimedgeError('RADIUS_MALFORMED', `${name} is ${v.length} octets, not 4`);
  return new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
}

const first = (attrs: readonly Attribute[], type: number) => attrs.find((a) => a.type === type)?.value;

export function parseAccounting(p: Packet): AccountingRecord {
  const st = first(p.attributes, ACCT_STATUS_TYPE);
  if (st === undefined) throw new SimedgeError('RADIUS_MISSING_ATTRIBUTE', 'Acct-Status-Type');
  const code = u32(st, 'Acct-Status-Type');
  const status = (Object.keys(STATUS) as Status[]).find((k) => STATUS[k] === code);
  if (status === undefined) throw new SimedgeError('RADIUS_UNSUPPORTED', `Acct-Status-Type ${code}`);
  const delay = first(p.attributes, ACCT_DELAY_TIME);
  const rec: AccountingRecord = { status, session: '', delaySec: delay === undefined ? 0 : u32(delay, 'Acct-Delay-Time') };
  const nasIp = first(p.attributes, NAS_IP_ADDRESS);
  if (nasIp !== undefined) rec.nasIp = ipv4(nasIp, 'NAS-IP-Address');
  const nasId = first(p.attributes, NAS_IDENTIFIER);
  if (nasId !== undefined && nasId.length > 0) rec.nasId = text(nasId);
  if (status === 'on' || status === 'off') return rec;

  const sid = first(p.attributes, ACCT_SESSION_ID);
  if (sid === undefined || sid.length === 0) throw new SimedgeError('RADIUS_MISSING_ATTRIBUTE', 'Acct-Session-Id'); // [RFC2866 §5.5]
  rec.session = text(sid);
  const ip = first(p.attributes, FRAMED_IP_ADDRESS);
  if (ip !== undefined) rec.ip = ipv4(ip, 'Framed-IP-Address');

  const vsa = tgppAttributes(p.attributes);
  const imsi = first(vsa, TGPP_IMSI);
  if (imsi !== undefined) {
    const s = text(imsi);
    if (!isImsi(s)) throw new SimedgeError('RADIUS_MALFORMED', '3GPP-IMSI is not an IMSI');
    rec.imsi = s;
  }
  const uli = first(vsa, TGPP_USER_LOCATION_INFO);
  const loc = uli === undefined ? undefined : decodeUli(uli);
  if (loc) rec.cell = cellName(loc.eci);
  if (loc?.tac !== undefined && loc.taiPlmn !== undefined) rec.tai = taiName(loc.taiPlmn, loc.tac);
  // The serving PLMN: 3GPP-SGSN-MCC-MNC [TS29.061 §16.4.7.2 item 18], else the ECGI's.
  const sgsn = first(vsa, TGPP_SGSN_MCC_MNC);
  if (sgsn !== undefined) {
    const s = text(sgsn);
    if (!/^[0-9]{5,6}$/.test(s)) throw new SimedgeError('RADIUS_MALFORMED', '3GPP-SGSN-MCC-MNC is not 5-6 digits');
    rec.plmn = s;
  } else if (loc) {
    rec.plmn = loc.plmn;
  }
  return rec;
}
