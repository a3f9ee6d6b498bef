// Test helper: a scripted modem for the Espruino proofs, on the far side of the QuickJS Serial1.
// It answers the generic 27.007 attach [TS27.007] and the Quectel QMT MQTT commands (hex receive
// mode), and simulates the core for FIG. 2: every up message the device publishes is decoded with
// the Node wire decoder (wire/messages.ts decodeUp) and answered with the next down message,
// encoded with encodeMsg. Not the hardware/ emulator: these proofs run the bundle, not the
// emulator's contract, and must not depend on it.
import { decodeUp, encodeMsg, type DownMsg, type UpMsg } from '../src/wire/messages.js';

export const IMSI = '240011234000001';
export const ICCID = '89460112340000010';
export const NONCE = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
export const READY: DownMsg = { t: 'ready', pid: 'p-1', edge: 'edge-a', svc: [{ n: 'fn', ep: 'http://10.0.0.7:8080/fn' }] };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/** The core's side of FIG. 2 as a function of the last up message. */
export function coreAnswers(m: UpMsg): DownMsg[] {
  switch (m.t) {
    case 'hello': return [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 60 }];
    case 'prov': return [{ t: 'acc', rid: m.rid, pid: 'p-1', edge: 'edge-a' }, READY];
    case 'bye': return [{ t: 'term', pid: 'p-1', why: 'bye' }];
  }
}

export class QuectelModem {
  readonly commands: string[] = [];
  /** The simulated core (replace to script rejections, roaming pids, …). */
  core: (m: UpMsg) => DownMsg[] = coreAnswers;
  /** Serving PLMN as AT+COPS? reports it (change it with a roaming URC). */
  plmn = '24001';
  /** This many publishes fail (`+QMTPUB: 0,<id>,2`) and never reach the core. */
  failPublishes = 0;
  /** This many AT+QMTOPEN fail (`+QMTOPEN: 0,3`, PDP context not activated). */
  failOpens = 0;
  readonly up: UpMsg[] = [];
  readonly upBytes: Uint8Array[] = [];
  private buf = '';
  private raw: { n: number; got: string; id: string; topic: string } | undefined;

  /** send: bytes to the device (binary string). hexMode: accept AT+QMTCFG="dataformat". */
  constructor(private readonly send: (s: string) => void, private readonly hexMode = true) {}

  private reply(...lines: string[]): void {
    this.send(lines.map((l) => `\r\n${l}\r\n`).join(''));
  }

  /** An unsolicited result code, e.g. `+CEREG: 5,"0B01","02B3C401",7` (roaming). */
  urc(line: string): void {
    this.reply(line);
  }

  /** Bytes from the device (binary string). */
  input(data: string): void {
    for (let i = 0; i < data.length; i++) {
      if (this.raw) {
        this.raw.got += data[i];
        if (this.raw.got.length === this.raw.n) this.published();
        continue;
      }
      const ch = data[i];
      if (ch === '\r') {
        const cmd = this.buf.trim();
        this.buf = '';
        if (cmd) this.command(cmd);
      } else if (ch !== '\n') this.buf += ch;
    }
  }

  private published(): void {
    const r = this.raw!;
    this.raw = undefined;
    const bytes = Uint8Array.from(r.got, (c) => c.charCodeAt(0));
    if (this.failPublishes > 0) {
      this.failPublishes--;
      return this.reply('OK', `+QMTPUB: 0,${r.id},2`);
    }
    this.reply('OK', `+QMTPUB: 0,${r.id},0`);
    this.upBytes.push(bytes);
    const m = decodeUp(bytes);
    this.up.push(m);
    for (const d of this.core(m)) {
      const b = encodeMsg(d);
      this.reply(`+QMTRECV: 0,0,"simedge/v1/d/${IMSI}/down",${b.length},"${hex(b)}"`);
    }
  }

  private command(cmd: string): void {
    this.commands.push(cmd);
    let m: RegExpExecArray | null;
    if ((m = /^AT\+QMTPUBEX=0,(\d+),1,0,"([^"]+)",(\d+)$/.exec(cmd))) {
      this.raw = { id: m[1]!, topic: m[2]!, n: Number(m[3]), got: '' };
      this.send('\r\n> ');
      return;
    }
    if ((m = /^AT\+QMTSUB=0,(\d+),"([^"]+)",1$/.exec(cmd))) return this.reply('OK', `+QMTSUB: 0,${m[1]},0,1`);
    if (/^AT\+QMTOPEN=0,"127\.0\.0\.1",1883$/.test(cmd)) {
      if (this.failOpens > 0) {
        this.failOpens--;
        return this.reply('OK', '+QMTOPEN: 0,3');
      }
      return this.reply('OK', '+QMTOPEN: 0,0');
    }
    if (cmd === `AT+QMTCONN=0,"${IMSI}"`) return this.reply('OK', '+QMTCONN: 0,0,0');
    if (cmd === 'AT+QMTDISC=0') return this.reply('OK', '+QMTDISC: 0,0');
    if (cmd === 'AT+QMTCFG="dataformat",0,0,1') return this.reply(this.hexMode ? 'OK' : 'ERROR');
    if (cmd.startsWith('AT+QMTCFG=')) return this.reply('OK');
    return this.generic(cmd);
  }

  /** [TS27.007] the attach sequence of core/modem.ts. */
  generic(cmd: string): void {
    switch (cmd) {
      case 'ATE0': case 'AT+CFUN=1': case 'AT+CFUN=0': case 'AT+COPS=3,2': case 'AT+CGATT=1': case 'AT+CEREG=2':
        return this.reply('OK');
      case 'AT+CPIN?': return this.reply('+CPIN: READY', 'OK');
      case 'AT+CIMI': return this.reply(IMSI, 'OK');
      case 'AT+CCID': return this.reply(`+CCID: ${ICCID}`, 'OK');
      case 'AT+QCCID': return this.reply(`+QCCID: ${ICCID}`, 'OK');
      case 'AT+CEREG?': return this.reply('+CEREG: 2,1,"0A01","01A2D101",7', 'OK');
      case 'AT+COPS?': return this.reply(`+COPS: 0,2,"${this.plmn}",7`, 'OK');
      default: return this.reply('ERROR');
    }
  }
}

/** An opaque COSE_Sign1 stand-in for the firmware's template (the scripted core never checks it). */
export const TEMPLATE = new Uint8Array(300).map((_, i) => (i * 7 + 3) & 0xff);
/** Bytes as an Espruino byte string (what Storage.read gives firmware). */
export const binStr = (b: Uint8Array): string => String.fromCharCode(...b);
