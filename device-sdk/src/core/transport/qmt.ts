// Quectel BG95/BG96 internal MQTT (`AT+QMT…`). Binary-safe: publishes use the fixed-length
// `AT+QMTPUBEX … <len>` + `>` form (no Ctrl-Z terminator); received payloads come in
// `+QMTRECV: <idx>,<msgid>,"<topic>",<len>,"<payload>"`, as hex when the firmware accepts
// `AT+QMTCFG="dataformat"` (newer BG95/BG96), else raw and read by count (see quoted.ts).
// Link loss: `+QMTSTAT: <idx>,<err>`.
import { SimedgeError } from '../../wire/codes.js';
import type { AtEngine } from '../at/engine.js';
import type { Platform } from '../platform.js';
import { asciiTopic, fromHex } from './bytes.js';
import { readQuoted } from './quoted.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { sendAs, sendForUrc, sendQuiet } from './urc-wait.js';

/** Largest QMTPUBEX payload. */
export const QMT_MAX_PAYLOAD = 4096;

const RECV = /^\+QMTRECV: ([0-9]+),([0-9]+),"([^"]*)",([0-9]+),"/;

export class QmtDriver implements MqttDriver {
  private readonly at: AtEngine;
  private readonly platform: Platform;
  private readonly idx: number;
  private readonly o: DriverOptions;
  private offs: Array<() => void> = [];
  private msgId = 0;
  private hex = false;

  constructor(at: AtEngine, platform: Platform, opts?: DriverOptions & { clientIdx?: number }) {
    const o = opts || {};
    this.at = at;
    this.platform = platform;
    this.idx = o.clientIdx === undefined ? 0 : o.clientIdx;
    if (!(this.idx >= 0 && this.idx <= 5)) throw new TypeError('QmtDriver: clientIdx is 0..5');
    this.o = o;
  }

  start(ev: DriverEvents): void {
    // `term`: the byte that ended the line, when the engine reports it (see quoted.ts).
    this.offs.push(this.at.onUrc('+QMTRECV:', (line: string, term?: number) => this.onRecv(line, term, ev)));
    this.offs.push(this.at.onUrc('+QMTSTAT:', (line) => {
      const m = /^\+QMTSTAT: ([0-9]+),([0-9]+)/.exec(line);
      if (m && parseInt(m[1] as string, 10) === this.idx) ev.lost('QMTSTAT ' + m[2]);
    }));
  }

  open(host: string, port: number, clientId: string): Promise<void> {
    const i = this.idx;
    const ct = this.o.connectTimeoutMs === undefined ? 30000 : this.o.connectTimeoutMs;
    const cfg = (s: string) => sendAs(this.at, 'AT+QMTCFG=' + s, 'MODEM_MQTT_CONNECT');
    const openOnce = () => sendForUrc(this.at, this.platform, 'AT+QMTOPEN=' + i + ',"' + host + '",' + port, '+QMTOPEN:',
      (f) => f[0] === String(i), ct, 'MODEM_MQTT_CONNECT');
    return cfg('"version",' + i + ',4')
      .then(() => cfg('"keepalive",' + i + ',' + (this.o.keepAliveS === undefined ? 60 : this.o.keepAliveS)))
      .then(() => cfg('"session",' + i + ',1'))
      .then(() => cfg('"recv/mode",' + i + ',0,1')) // URCs carry the payload and its length
      .then(() => this.at.send('AT+QMTCFG="dataformat",' + i + ',0,1').then(() => true, () => false))
      .then((hex) => {
        this.hex = hex;
        return openOnce();
      })
      .then((f) => {
        // 2 = client index in use (a half-closed session after a link loss): close it, open again.
        if (f[1] === '2') return sendQuiet(this.at, 'AT+QMTDISC=' + i).then(openOnce);
        return f;
      })
      .then((f) => {
        if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_CONNECT', 'QMTOPEN result ' + f[1]);
        return sendForUrc(this.at, this.platform, 'AT+QMTCONN=' + i + ',"' + clientId + '"', '+QMTCONN:',
          (g) => g[0] === String(i), ct, 'MODEM_MQTT_CONNECT');
      })
      .then((f) => {
        // result 0 = packet sent, ret 0 = CONNACK accepted [MQTT-3.2.2.3]
        if (f[1] !== '0' || (f[2] !== undefined && f[2] !== '0')) {
          throw new SimedgeError('MODEM_MQTT_CONNECT', 'QMTCONN result ' + f[1] + (f[2] !== undefined ? ' ret ' + f[2] : ''));
        }
      });
  }

  publish(topic: string, payload: Uint8Array): Promise<void> {
    asciiTopic(topic, 255);
    if (payload.length === 0 || payload.length > QMT_MAX_PAYLOAD) return Promise.reject(new RangeError('QMT publish: payload is 1..' + QMT_MAX_PAYLOAD + ' bytes'));
    const id = this.nextId();
    const cmd = 'AT+QMTPUBEX=' + this.idx + ',' + id + ',1,0,"' + topic + '",' + payload.length;
    return sendForUrc(this.at, this.platform, cmd, '+QMTPUB:', (f) => f[0] === String(this.idx) && f[1] === String(id),
      this.opTimeout(), 'MODEM_MQTT_PUBLISH', { payload: payload })
      .then((f) => {
        // 0 sent and acknowledged, 1 retransmitting, 2 failed
        if (f[2] !== '0') throw new SimedgeError('MODEM_MQTT_PUBLISH', 'QMTPUB result ' + f[2]);
      });
  }

  subscribe(topic: string): Promise<void> {
    asciiTopic(topic, 255);
    const id = this.nextId();
    return sendForUrc(this.at, this.platform, 'AT+QMTSUB=' + this.idx + ',' + id + ',"' + topic + '",1', '+QMTSUB:',
      (f) => f[0] === String(this.idx) && f[1] === String(id), this.opTimeout(), 'MODEM_MQTT_SUBSCRIBE')
      .then((f) => {
        if (f[2] !== '0' || f[3] === '128') throw new SimedgeError('MODEM_MQTT_SUBSCRIBE', 'QMTSUB result ' + f[2] + (f[3] ? ' qos ' + f[3] : ''));
      });
  }

  disconnect(): Promise<void> {
    return sendForUrc(this.at, this.platform, 'AT+QMTDISC=' + this.idx, '+QMTDISC:', (f) => f[0] === String(this.idx), 5000, 'MODEM_MQTT_CONNECT')
      .then(() => undefined, () => undefined);
  }

  stop(): void {
    for (let i = 0; i < this.offs.length; i++) (this.offs[i] as () => void)();
    this.offs = [];
  }

  private onRecv(line: string, term: number | undefined, ev: DriverEvents): void {
    const m = RECV.exec(line);
    if (!m || parseInt(m[1] as string, 10) !== this.idx) return;
    const topic = m[3] as string;
    const n = parseInt(m[4] as string, 10);
    const start = (m[0] as string).length;
    if (this.hex) {
      const end = line.indexOf('"', start);
      const b = end < 0 ? undefined : fromHex(line.substring(start, end));
      // The announced length counts bytes or hex digits depending on firmware: accept both.
      if (!b || (b.length !== n && 2 * b.length !== n)) return ev.note('malformed +QMTRECV hex payload dropped');
      return ev.message(topic, b);
    }
    if (n > QMT_MAX_PAYLOAD) return ev.note('+QMTRECV payload of ' + n + ' bytes exceeds ' + QMT_MAX_PAYLOAD + ', dropped');
    readQuoted(this.at, line, start, n, term, (b) => ev.message(topic, b), (why) => ev.note('+QMTRECV on ' + topic + ' dropped: ' + why));
  }

  private nextId(): number {
    this.msgId = (this.msgId % 65535) + 1; // [MQTT-2.3.1-1] packet ids are 1..65535
    return this.msgId;
  }

  private opTimeout(): number {
    return this.o.opTimeoutMs === undefined ? 15000 : this.o.opTimeoutMs;
  }
}
