// Network-lifecycle extras of the 27.007 driver: the per-vendor dialect table (ICCID command and
// which modem-internal MQTT flavour a modem speaks), the home PLMN of the SIM (IMSI + MNC length
// from EF_AD) and roaming detection for patent claim 2: the device is roaming when the network says
// so (+CEREG stat 5) OR when the serving PLMN is not the SIM's home PLMN (national roaming and
// MVNO SIMs often register with stat 1 on a visited network).
import { SimedgeError } from '../wire/codes.js';
import type { AtEngine } from './at/engine.js';
import { fieldsOf, iccidFromEf, parseIccid, STAT_ROAMING } from './cereg.js';
import { DETAIL, FULL } from './flags.js';
import { has, rangeError } from './platform.js';
import { digits } from '../wire/chars.js';

/**
 * Modem families the SDK knows. `generic` is any 27.007 modem (no internal MQTT). The model
 * names are those of the hardware/ emulator; `quectel` and `sara` are family aliases.
 */
export type Dialect = 'generic' | 'quectel' | 'bg95' | 'bg96' | 'sim7600' | 'sim7080' | 'sara' | 'sara-r4' | 'sara-r5';

export interface DialectInfo {
  /** Command that reads the ICCID. */
  iccidCmd: string;
  /** Prefix of its reply line. */
  iccidPrefix: string;
  /** Modem-internal MQTT command family, when the modem has one (not in the Espruino build). */
  mqtt: 'QMT' | 'CMQTT' | 'SM' | 'UMQTT' | undefined;
  /** Human name for traces and docs (not in the Espruino build). */
  name: string;
  /** SARA-R410M conventions: login success is `+UUMQTTC: 1,0`, no binary publish, R4 read form. */
  r410m?: boolean;
}

// Human names (traces, docs); the lean build has none (FULL: core/flags.ts, row below).
const NAMES: { [d: string]: string } = FULL ? {
  generic: '3GPP TS 27.007 modem', quectel: 'Quectel BG95/BG96', bg95: 'Quectel BG95', bg96: 'Quectel BG96',
  sim7600: 'SIMCom SIM7600', sim7080: 'SIMCom SIM7080/SIM7070', sara: 'u-blox SARA-R5 (or R422)',
  'sara-r5': 'u-blox SARA-R5', 'sara-r4': 'u-blox SARA-R410M',
} : {};

/** A row of the table; the reply prefix follows from the command (`AT+QCCID` answers `+QCCID:`). */
function row(d: string, iccidCmd: string, mqtt: DialectInfo['mqtt'], iccidPrefix?: string): DialectInfo {
  const r = { iccidCmd: iccidCmd, iccidPrefix: iccidPrefix || iccidCmd.substring(2) + ':' } as DialectInfo;
  // The Espruino firmware API reads only the ICCID command of a dialect: its MQTT driver is
  // linked by name (adapter/espruino), so `mqtt` and `name` are left out there (FULL: core/flags.ts).
  if (FULL) {
    r.mqtt = mqtt;
    r.name = NAMES[d] || d;
  }
  return r;
}

const R410M = row('sara-r4', 'AT+CCID', 'UMQTT');
R410M.r410m = true;

// Per reference/at-commands.md (vendor manuals, TinyGSM, ubxlib).
export const DIALECTS: { [d: string]: DialectInfo } = {
  generic: row('generic', 'AT+CCID', undefined),
  quectel: row('quectel', 'AT+QCCID', 'QMT'),
  bg95: row('bg95', 'AT+QCCID', 'QMT'),
  bg96: row('bg96', 'AT+QCCID', 'QMT'),
  sim7600: row('sim7600', 'AT+CICCID', 'CMQTT', '+ICCID:'),
  sim7080: row('sim7080', 'AT+CCID', 'SM'),
  sara: row('sara', 'AT+CCID', 'UMQTT'),
  'sara-r5': row('sara-r5', 'AT+CCID', 'UMQTT'),
  'sara-r4': R410M,
};

/** The table entry of a dialect; TypeError for a name the SDK does not know. */
export function dialectInfo(d: Dialect | undefined): DialectInfo {
  const name = d === undefined ? 'generic' : d;
  if (typeof name !== 'string' || !has(DIALECTS, name)) {
    throw new TypeError('unknown modem dialect: ' + String(d) + ' (known: ' + Object.keys(DIALECTS).join(', ') + ')');
  }
  return DIALECTS[name] as DialectInfo;
}

function isAtFailure(e: unknown): boolean {
  return e instanceof SimedgeError && (e.code === 'AT_ERROR' || e.code === 'AT_CME_ERROR');
}

/** Data of a successful `+CRSM: 144,0,"<hex>"` reply (SW 90 00), or undefined. [TS27.007 §8.18] */
export function crsmData(lines: string[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const f = fieldsOf(lines[i] as string, '+CRSM:');
    if (f && f[0] === '144' && f[1] === '0' && f[2]) return f[2];
  }
  return undefined;
}

/**
 * The ICCID with the dialect's own command, falling back to reading EF_ICCID through AT+CRSM
 * (nibble-swapped BCD) when the command is missing or answers nothing usable. [TS102.221 §13.2]
 */
export function readIccidFor(at: AtEngine, dialect: Dialect | undefined): Promise<string> {
  const d = dialectInfo(dialect);
  return at.send(d.iccidCmd).then((lines) => {
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as string;
      // The vendor prefix, or a bare number (some firmware omits the prefix).
      if (l.substring(0, d.iccidPrefix.length) !== d.iccidPrefix && l.charAt(0) === '+') continue;
      const s = parseIccid(l);
      if (s) return s;
    }
    return undefined;
  }, (e: unknown) => {
    if (isAtFailure(e)) return undefined;
    throw e;
  }).then((iccid) => {
    if (iccid) return iccid;
    // The lean build (Espruino) has no EF_ICCID fallback: every dialect it carries has a
    // working ICCID command, and the fallback's BCD reader costs RAM (FULL: core/flags.ts).
    if (!FULL) throw new SimedgeError('SIM_NOT_READY', DETAIL ? 'no ICCID from ' + d.iccidCmd : undefined);
    return at.send('AT+CRSM=176,12258,0,0,10').then((lines) => {
      const hex = crsmData(lines);
      const s = hex ? iccidFromEf(hex) : undefined;
      if (!s) throw new SimedgeError('SIM_NOT_READY', 'no ICCID');
      return s;
    });
  });
}

/**
 * MNC length (2 or 3) from EF_AD byte 4, low nibble [TS31.102 §4.2.18]; undefined when the file
 * cannot be read or holds another value (older SIMs have a 3-byte EF_AD).
 */
export function readMncLength(at: AtEngine): Promise<number | undefined> {
  return at.send('AT+CRSM=176,28589,0,0,4').then((lines) => mncLengthFromEfAd(crsmData(lines)), (e: unknown) => {
    if (isAtFailure(e)) return undefined;
    throw e;
  });
}

/** The MNC length coded in EF_AD (hex of its bytes). */
export function mncLengthFromEfAd(hex: string | undefined): number | undefined {
  if (!hex || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const n = parseInt(hex.charAt(7), 16); // NaN when shorter than 4 bytes
  return n === 2 || n === 3 ? n : undefined;
}

/**
 * Home PLMN (MCC + MNC digits) of an IMSI. [TS23.003 §2.2] The lean build (Espruino) calls it only
 * from readHomePlmn, with the IMSI attach read and an MNC length of 2 or 3, so it skips the checks
 * (FULL: core/flags.ts).
 */
export function homePlmn(imsi: string, mncLength: number): string {
  if (FULL && !digits(imsi, 6, 15)) throw new TypeError('homePlmn: IMSI must be 6..15 digits');
  if (FULL && mncLength !== 2 && mncLength !== 3) throw rangeError('homePlmn: MNC length is 2 or 3');
  return imsi.substring(0, 3 + mncLength);
}

/**
 * Whether the device roams: stat 5, or a serving PLMN other than home. Without a known home PLMN
 * (EF_AD unreadable) the serving PLMN is compared with the IMSI prefix of its own length: the
 * numeric COPS form carries the MNC length of the serving network.
 */
export function isRoaming(stat: number, servingPlmn: string, imsi: string, home: string | undefined): boolean {
  if (stat === STAT_ROAMING) return true;
  // Nothing to compare: trust the network's stat. The lean build passes only what readOperator
  // gave, 5-6 digits already (parseCops), so it skips the check (FULL: core/flags.ts).
  if (FULL && !digits(servingPlmn, 5, 6)) return false;
  if (home) return servingPlmn !== home;
  return imsi.substring(0, servingPlmn.length) !== servingPlmn;
}

/** The SIM's home PLMN, read from EF_AD; undefined when the MNC length is not available. */
export function readHomePlmn(at: AtEngine, imsi: string): Promise<string | undefined> {
  return readMncLength(at).then((n) => (n === undefined ? undefined : homePlmn(imsi, n)));
}
