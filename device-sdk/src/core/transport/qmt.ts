// Quectel BG95/BG96 internal MQTT (`AT+QMT…`). Binary-safe: publishes use the fixed-length
// `AT+QMTPUBEX … <len>` + `>` form (no Ctrl-Z terminator); received payloads come in
// `+QMTRECV: <idx>,<msgid>,"<topic>",<len>,"<payload>"`, as hex when the firmware accepts
// `AT+QMTCFG="dataformat"` (newer BG95/BG96), else raw and read by count (see quoted.ts).
// Link loss: `+QMTSTAT: <idx>,<err>`.
//
// The lean build (FULL false, the Espruino bundle) reads hex payloads only: a firmware that
// refuses `dataformat` fails the connect with MODEM_MQTT_CONNECT instead of falling back to the
// raw form, whose reader (quoted.ts and the framer's binary mode) would cost RAM on every board.
import { SimedgeError } from '../../wire/codes.js';
import type { AtEngine } from '../at/engine.js';
import { noop, type Platform } from '../platform.js';
import { asciiTopic, fromHex } from './bytes.js';
import { readQuoted } from './quoted.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { payloadError, sendAs, sendForUrc, sendQuiet } from './urc-wait.js';
import { DETAIL, FULL, TRACE } from '../flags.js';

/** Largest QMTPUBEX payload. */
export const QMT_MAX_PAYLOAD = 4096;

const RECV = /^\+QMTRECV: ([0-9]+),([0-9]+),"([^"]*)",([0-9]+),"/;

/** The QMT driver (an MqttDriver). */
export type QmtDriver = MqttDriver;

/**
 * `new QmtDriver(at, platform, opts)`. Closures instead of a class: the state lives in local
 * variables, which minify to one letter, where a class pays `this.` and a member name on every
 * access (the Espruino bundle keeps its source in RAM).
 */
export const QmtDriver = function QmtDriver(at: AtEngine, platform: Platform, opts?: DriverOptions & { clientIdx?: number }): QmtDriver {
  const o = opts || {};
  // The lean build has no driver options: the Espruino firmware API cannot pass any, so their
  // defaults are compiled in (FULL: core/flags.ts).
  const idx = FULL && o.clientIdx !== undefined ? o.clientIdx : 0;
  if (FULL && !(idx >= 0 && idx <= 5)) throw new TypeError('QmtDriver: clientIdx is 0..5');
  const i = String(idx);
  const opTimeout = FULL && o.opTimeoutMs !== undefined ? o.opTimeoutMs : 15000;
  let offs: Array<() => void> = [];
  let msgId = 0;
  let hex = false;

  const nextId = (): number => {
    msgId = (msgId % 65535) + 1; // [MQTT-2.3.1-1] packet ids are 1..65535
    return msgId;
  };

  const onRecv = (line: string, term: number | undefined, ev: DriverEvents): void => {
    const m = RECV.exec(line);
    if (!m || parseInt(m[1] as string, 10) !== idx) return;
    const topic = m[3] as string;
    const n = parseInt(m[4] as string, 10);
    const start = (m[0] as string).length;
    if (FULL && !hex) {
      // Raw payload, read by count (not in the lean build, see the header).
      if (n > QMT_MAX_PAYLOAD) {
        if (TRACE) ev.note('+QMTRECV payload of ' + n + ' bytes exceeds ' + QMT_MAX_PAYLOAD + ', dropped');
        return;
      }
      readQuoted(at, line, start, n, term, (b) => ev.message(topic, b), (why) => {
        if (TRACE) ev.note('+QMTRECV on ' + topic + ' dropped: ' + why);
      });
      return;
    }
    const end = line.indexOf('"', start);
    const b = end < 0 ? undefined : fromHex(line.substring(start, end));
    // The announced length counts bytes or hex digits depending on firmware: accept both.
    if (b && (b.length === n || 2 * b.length === n)) ev.message(topic, b);
    else if (TRACE) ev.note('malformed +QMTRECV hex payload dropped');
  };

  return {
    start(ev: DriverEvents): void {
      // `term`: the byte that ended the line, when the engine reports it (see quoted.ts).
      offs.push(at.onUrc('+QMTRECV:', (line: string, term?: number) => onRecv(line, term, ev)));
      offs.push(at.onUrc('+QMTSTAT:', (line) => {
        const m = /^\+QMTSTAT: ([0-9]+),([0-9]+)/.exec(line);
        // The cause is a diagnostic: the lean session reads none of it (DETAIL: core/flags.ts).
        if (m && parseInt(m[1] as string, 10) === idx) ev.lost(DETAIL ? 'QMTSTAT ' + m[2] : '');
      }));
    },

    open(host: string, port: number, clientId: string): Promise<void> {
      const ct = FULL && o.connectTimeoutMs !== undefined ? o.connectTimeoutMs : 30000;
      const cfg = (s: string) => sendAs(at, 'AT+QMTCFG=' + s, 'MODEM_MQTT_CONNECT');
      const openOnce = () => sendForUrc(at, platform, 'AT+QMTOPEN=' + i + ',"' + host + '",' + port, '+QMTOPEN:',
        (f) => f[0] === i, ct, 'MODEM_MQTT_CONNECT');
      // The settings as data, sent in order; "recv/mode" 0,1: URCs carry the payload and its length.
      const sets = ['"version",' + i + ',4', '"keepalive",' + i + ',' + (FULL && o.keepAliveS !== undefined ? o.keepAliveS : 60), '"session",' + i + ',1', '"recv/mode",' + i + ',0,1'];
      // The lean build reads hex payloads only: a firmware that refuses "dataformat" fails the
      // connect (MODEM_MQTT_CONNECT, like any refused setting); the full build falls back to raw.
      if (!FULL) sets.push('"dataformat",' + i + ',0,1');
      const set = sets.reduce((p: Promise<unknown>, s) => p.then(() => cfg(s)), Promise.resolve());
      // Lean: hex was set above (`hex` is read only by the FULL raw path).
      return (FULL ? set.then(() => at.send('AT+QMTCFG="dataformat",' + i + ',0,1').then(() => true, () => false))
        .then((h) => {
          hex = h;
          return openOnce();
        }) : set.then(openOnce))
        .then((f) => {
          // 2 = client index in use (a half-closed session after a link loss): close it, open again.
          if (f[1] === '2') return sendQuiet(at, 'AT+QMTDISC=' + i).then(openOnce);
          return f;
        })
        .then((f) => {
          if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_CONNECT', DETAIL ? 'QMTOPEN result ' + f[1] : undefined);
          return sendForUrc(at, platform, 'AT+QMTCONN=' + i + ',"' + clientId + '"', '+QMTCONN:',
            (g) => g[0] === i, ct, 'MODEM_MQTT_CONNECT');
        })
        .then((f) => {
          // result 0 = packet sent, ret 0 = CONNACK accepted [MQTT-3.2.2.3]
          if (f[1] !== '0' || (f[2] !== undefined && f[2] !== '0')) {
            throw new SimedgeError('MODEM_MQTT_CONNECT', DETAIL ? 'QMTCONN result ' + f[1] + (f[2] !== undefined ? ' ret ' + f[2] : '') : undefined);
          }
        });
    },

    publish(topic: string, payload: Uint8Array): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // the session checked it (FULL: see session.ts connect)
      const big = payloadError(payload.length, QMT_MAX_PAYLOAD, 'QMT publish');
      if (big) return Promise.reject(big);
      const id = String(nextId());
      const cmd = 'AT+QMTPUBEX=' + i + ',' + id + ',1,0,"' + topic + '",' + payload.length;
      return sendForUrc(at, platform, cmd, '+QMTPUB:', (f) => f[0] === i && f[1] === id,
        opTimeout, 'MODEM_MQTT_PUBLISH', { payload: payload })
        .then((f) => {
          // 0 sent and acknowledged, 1 retransmitting, 2 failed
          if (f[2] !== '0') throw new SimedgeError('MODEM_MQTT_PUBLISH', DETAIL ? 'QMTPUB result ' + f[2] : undefined);
        });
    },

    subscribe(topic: string): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // the session checked it (FULL: see session.ts connect)
      const id = String(nextId());
      return sendForUrc(at, platform, 'AT+QMTSUB=' + i + ',' + id + ',"' + topic + '",1', '+QMTSUB:',
        (f) => f[0] === i && f[1] === id, opTimeout, 'MODEM_MQTT_SUBSCRIBE')
        .then((f) => {
          if (f[2] !== '0' || f[3] === '128') throw new SimedgeError('MODEM_MQTT_SUBSCRIBE', DETAIL ? 'QMTSUB result ' + f[2] + (f[3] ? ' qos ' + f[3] : '') : undefined);
        });
    },

    disconnect(): Promise<void> {
      return sendForUrc(at, platform, 'AT+QMTDISC=' + i, '+QMTDISC:', (f) => f[0] === i, 5000, 'MODEM_MQTT_CONNECT')
        .then(noop, noop);
    },

    stop(): void {
      for (let k = 0; k < offs.length; k++) (offs[k] as () => void)();
      offs = [];
    },
  };
} as unknown as new (at: AtEngine, platform: Platform, opts?: DriverOptions & { clientIdx?: number }) => QmtDriver;
