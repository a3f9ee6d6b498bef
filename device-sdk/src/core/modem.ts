// Generic 3GPP TS 27.007 modem driver: the attach sequence of FIG. 2 step 201/202 (radio on, SIM
// ready, identity, registration, operator, packet attach), registration watching for roaming, and
// detach. Vendor dialects (QMT, CMQTT, …) build on this; nothing here is vendor-specific.
import { SimedgeError } from '../wire/codes.js';
import type { AtEngine } from './at/engine.js';
import { fieldsOf, isRegistered, parseCereg, parseCops, STAT_DENIED, type Registration } from './cereg.js';
import { dialectInfo, isRoaming, readHomePlmn, readIccidFor, type Dialect } from './lifecycle.js';
import { DETAIL, FULL, HOMEPLMN } from './flags.js';
import { noop, type Platform } from './platform.js';
import { allChars, alnumOr, digits } from '../wire/chars.js';

export interface AttachInfo {
  imsi: string;
  iccid: string;
  /** Serving PLMN, MCC+MNC digits. */
  plmn: string;
  /** The device's cell id as sent in hello: the E-UTRAN cell id hex (`ci`) as the modem reports it. */
  cell: string;
  tac: string;
  ci: string;
  roaming: boolean;
  /** The SIM's home PLMN (only with the `homePlmn` option, and when EF_AD could be read). */
  home?: string;
}

export interface AttachOptions {
  /** SIM PIN, used only when the SIM asks for it. */
  pin?: string;
  /** How long to wait for +CEREG stat 1 or 5 (default 60000 ms). */
  registerTimeoutMs?: number;
  /** Define PDP context 1 with this APN before the packet attach. */
  apn?: string;
  /** Called as soon as IMSI and ICCID are known (before registration), e.g. to label traces. */
  onSim?: (imsi: string, iccid: string) => void;
  /** Modem family: picks the ICCID command (default `generic`, AT+CCID). */
  dialect?: Dialect;
  /**
   * Also call it roaming when the serving PLMN is not the SIM's home PLMN (read from IMSI + EF_AD),
   * not only on +CEREG stat 5 (patent claim 2). Off by default: one more SIM read. In every build,
   * the Espruino one included (SimEdge.start's `homePlmn`).
   */
  homePlmn?: boolean;
}

// Radio and packet-domain commands can take seconds on real modems.
const SLOW = { timeoutMs: 30000 };
const SIM_POLLS = 10;
const SIM_POLL_MS = 300;

function delay(platform: Platform, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    platform.setTimer(resolve, ms);
  });
}

function isCode(e: unknown, code: string): boolean {
  return e instanceof SimedgeError && e.code === code;
}

/** AT+CPIN? until READY, entering the PIN once if asked. [TS27.007 §8.3] */
function unlockSim(at: AtEngine, platform: Platform, pin: string | undefined, polls: number, pinSent: boolean): Promise<void> {
  return at.send('AT+CPIN?').then((lines) => {
    let status = '';
    for (let i = 0; i < lines.length; i++) {
      const f = fieldsOf(lines[i] as string, '+CPIN:');
      if (f) status = f.join(',');
    }
    if (status === 'READY') return undefined;
    if (status === 'SIM PIN' && pin !== undefined && !pinSent) {
      return at.send('AT+CPIN="' + pin + '"').then(() => unlockSim(at, platform, pin, polls, true));
    }
    // The SIM may still be initialising right after AT+CFUN=1.
    if ((status === 'NOT READY' || (pinSent && status === 'SIM PIN')) && polls > 1) {
      return delay(platform, SIM_POLL_MS).then(() => unlockSim(at, platform, pin, polls - 1, pinSent));
    }
    throw new SimedgeError('SIM_NOT_READY', DETAIL ? (status === 'SIM PIN' ? 'SIM PIN required' : status || 'no +CPIN answer') : undefined);
  }, (e: unknown) => {
    // +CME ERROR: 14 = SIM busy; 10 = not inserted; 13 = SIM failure. [TS27.007 §9.2.1]
    if (isCode(e, 'AT_CME_ERROR') && (e as SimedgeError).detail === '14' && polls > 1) {
      return delay(platform, SIM_POLL_MS).then(() => unlockSim(at, platform, pin, polls - 1, pinSent));
    }
    if (isCode(e, 'AT_CME_ERROR') || isCode(e, 'AT_ERROR')) throw new SimedgeError('SIM_NOT_READY', 'AT+CPIN?: ' + String((e as SimedgeError).detail));
    throw e;
  });
}

function readImsi(at: AtEngine): Promise<string> {
  return at.send('AT+CIMI').then((lines) => {
    for (let i = 0; i < lines.length; i++) {
      const s = (lines[i] as string).trim();
      if (digits(s, 6, 15)) return s;
    }
    throw new SimedgeError('SIM_NOT_READY', 'AT+CIMI gave no IMSI');
  });
}

/**
 * Turn on registration URCs and wait for stat 1 or 5. The URC handler is in place before
 * AT+CEREG=2 goes out, and AT+CEREG? is polled once in case registration happened earlier.
 */
export function waitRegistered(at: AtEngine, platform: Platform, timeoutMs: number): Promise<Registration> {
  return new Promise<Registration>((resolve, reject) => {
    let done = false;
    let off: () => void = noop;
    const finish = (err: Error | undefined, r: Registration | undefined) => {
      if (done) return;
      done = true;
      off();
      platform.clearTimer(timer);
      if (err) reject(err);
      else resolve(r as Registration);
    };
    const check = (r: Registration | undefined) => {
      if (!r) return;
      if (isRegistered(r)) finish(undefined, r);
      else if (r.stat === STAT_DENIED) finish(new SimedgeError('NOT_REGISTERED', 'registration denied'), undefined);
    };
    const timer = platform.setTimer(() => finish(new SimedgeError('NOT_REGISTERED', 'no registration within ' + timeoutMs + ' ms'), undefined), timeoutMs);
    off = at.onUrc('+CEREG:', (line) => check(parseCereg(line, false)));
    at.send('AT+CEREG=2') // [TS27.007 §10.1.22] n=2: URCs with location
      .then(() => (done ? [] : at.send('AT+CEREG?')))
      .then((lines) => {
        for (let i = 0; i < lines.length; i++) check(parseCereg(lines[i] as string, true));
      })
      .then(noop, (e: unknown) => finish(e instanceof Error ? e : new Error(String(e)), undefined));
  });
}

/** The serving PLMN in numeric form. [TS27.007 §7.3] */
export function readOperator(at: AtEngine): Promise<string> {
  return at.send('AT+COPS=3,2').then(() => at.send('AT+COPS?')).then((lines) => {
    for (let i = 0; i < lines.length; i++) {
      const p = parseCops(lines[i] as string);
      if (p) return p;
    }
    throw new SimedgeError('NOT_REGISTERED', 'AT+COPS? shows no operator');
  });
}

/** The full attach sequence; resolves once registered and packet-attached. */
export function attach(at: AtEngine, platform: Platform, opts?: AttachOptions): Promise<AttachInfo> {
  const o = opts || {};
  if (o.pin !== undefined && !digits(o.pin, 4, 8)) throw new TypeError('attach: pin must be 4..8 digits');
  if (o.apn !== undefined && !allChars(o.apn, 1, 100, alnumOr('.-'))) throw new TypeError('attach: apn must be a plain APN name');
  const registerTimeoutMs = FULL && o.registerTimeoutMs !== undefined ? o.registerTimeoutMs : 60000; // FULL: the Espruino firmware API cannot pass it
  dialectInfo(o.dialect); // TypeError for an unknown dialect, before talking to the modem
  let home: string | undefined;
  let imsi = '';
  let iccid = '';
  let reg: Registration | undefined;
  let plmn = '';
  return at.send('ATE0') // [V.250 §6.2.4] no echo from here on
    .then(() => at.send('AT+CFUN=1', SLOW)) // [TS27.007 §8.2]
    .then(() => unlockSim(at, platform, o.pin, SIM_POLLS, false))
    .then(() => readImsi(at))
    .then((i) => {
      imsi = i;
      return readIccidFor(at, o.dialect);
    })
    .then((c) => {
      iccid = c;
      if (FULL && o.onSim) o.onSim(imsi, iccid); // not reachable from the Espruino firmware API
      return HOMEPLMN && o.homePlmn ? readHomePlmn(at, imsi) : undefined; // HOMEPLMN: core/flags.ts
    })
    .then((h) => {
      home = h;
      return o.apn ? at.send('AT+CGDCONT=1,"IP","' + o.apn + '"') : []; // [TS27.007 §10.1.1]
    })
    .then(() => waitRegistered(at, platform, registerTimeoutMs))
    .then((r) => {
      reg = r;
      return readOperator(at);
    })
    .then((p) => {
      plmn = p;
      return at.send('AT+CGATT=1', SLOW); // [TS27.007 §10.1.9]
    })
    .then(() => {
      const r = reg as Registration;
      const info: AttachInfo = { imsi: imsi, iccid: iccid, plmn: plmn, cell: r.ci, tac: r.tac, ci: r.ci, roaming: r.roaming };
      if (HOMEPLMN && o.homePlmn) {
        info.roaming = isRoaming(r.stat, plmn, imsi, home);
        if (home) info.home = home;
      }
      return info;
    });
}

/** Report every +CEREG URC (after attach) to fn; returns a function that stops watching. */
export function watchRegistration(at: AtEngine, fn: (r: Registration) => void): () => void {
  return at.onUrc('+CEREG:', (line) => {
    const r = parseCereg(line, false);
    if (r) fn(r);
  });
}

/** Radio off (minimum functionality); the network sees the detach. [TS27.007 §8.2] */
export function detach(at: AtEngine): Promise<void> {
  return at.send('AT+CFUN=0', SLOW).then(noop);
}
