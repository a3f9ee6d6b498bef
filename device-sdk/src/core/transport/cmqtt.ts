// SIMCom SIM7600 internal MQTT (`AT+CMQTT…`). Binary-safe both ways: topic and payload go out
// through the `>` prompt with their exact lengths, and a received message is announced as a
// sequence of length-prefixed raw blocks:
//   +CMQTTRXSTART: 0,<topic_len>,<payload_len>
//   +CMQTTRXTOPIC: 0,<len>    + <len> raw bytes
//   +CMQTTRXPAYLOAD: 0,<len>  + <len> raw bytes   (repeated: payloads > 1500 bytes come in chunks)
//   +CMQTTRXEND: 0
// Link loss: `+CMQTTCONNLOST: 0,<cause>`.
import { SimedgeError } from '../../wire/codes.js';
import type { AtEngine } from '../at/engine.js';
import { MAX_BINARY } from '../at/framer.js';
import { fieldsOf } from '../cereg.js';
import { noop, type Platform } from '../platform.js';
import { asciiTopic, byteString, concatBytes, toByteString } from './bytes.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { payloadError, sendAs, sendForUrc, sendQuiet } from './urc-wait.js';
import { digits } from '../../wire/chars.js';
import { DETAIL, FULL, TRACE } from '../flags.js';

/** Largest CMQTTPAYLOAD. */
export const CMQTT_MAX_PAYLOAD = 10240;

/** The message being received, between +CMQTTRXSTART and +CMQTTRXEND. */
interface Rx {
  topicLen: number;
  payloadLen: number;
  topic: string | undefined;
  chunks: Uint8Array[];
  got: number;
}

function int(s: string | undefined): number {
  return digits(s, 1, 6) ? parseInt(s as string, 10) : -1; // loops: Espruino's RegExp has no {n,m}
}

/** The CMQTT driver (an MqttDriver). */
export type CmqttDriver = MqttDriver;

/**
 * `new CmqttDriver(at, platform, opts)`. Closures instead of a class, like qmt.ts: locals minify
 * to one letter where a class pays `this.` and a member name (the Espruino bundle keeps its
 * source in RAM).
 */
export const CmqttDriver = function CmqttDriver(at: AtEngine, platform: Platform, opts?: DriverOptions): CmqttDriver {
  // The lean build has no driver options: the Espruino firmware API cannot pass any (FULL).
  const o = (FULL && opts) || {};
  // Read on every call, as the options object is the caller's.
  const opTimeout = (): number => FULL && o.opTimeoutMs !== undefined ? o.opTimeoutMs : 15000;
  let offs: Array<() => void> = [];
  /** AT+CMQTTSTART and ACCQ done (they survive a link loss; only CONNECT is repeated). */
  let acquired = false;
  let rx: Rx | undefined;

  return {
    start(ev: DriverEvents): void {
      const on = (p: string, fn: (f: string[]) => void) => {
        offs.push(at.onUrc(p, (line) => {
          const f = fieldsOf(line, p);
          if (f && f[0] === '0') fn(f);
        }));
      };
      // The notes are diagnostics: the lean session reads none of them (TRACE: core/flags.ts).
      on('+CMQTTRXSTART:', (f) => {
        if (TRACE && rx) ev.note('+CMQTTRXSTART before the previous message ended: previous dropped');
        const tl = int(f[1]);
        const pl = int(f[2]);
        rx = tl > 0 && pl >= 0 && pl <= CMQTT_MAX_PAYLOAD ? { topicLen: tl, payloadLen: pl, topic: undefined, chunks: [], got: 0 } : undefined;
        if (TRACE && !rx) ev.note('malformed or oversized +CMQTTRXSTART dropped');
      });
      on('+CMQTTRXTOPIC:', (f) => {
        const r = rx;
        const n = int(f[1]);
        if (!r || n !== r.topicLen) {
          rx = undefined;
          if (n > 0 && n <= MAX_BINARY) at.expectBytes(n, noop); // skip the block, stay in sync
          if (TRACE) ev.note('+CMQTTRXTOPIC out of sequence dropped');
          return;
        }
        at.expectBytes(n, (b) => {
          if (rx === r) r.topic = toByteString(b);
        });
      });
      on('+CMQTTRXPAYLOAD:', (f) => {
        const r = rx;
        const n = int(f[1]);
        if (!r || r.topic === undefined || n <= 0 || r.got + n > r.payloadLen) {
          rx = undefined;
          if (n > 0 && n <= MAX_BINARY) at.expectBytes(n, noop);
          if (TRACE) ev.note('+CMQTTRXPAYLOAD out of sequence or too long dropped');
          return;
        }
        at.expectBytes(n, (b) => {
          if (rx !== r) return;
          r.chunks.push(b);
          r.got += b.length;
        });
      });
      on('+CMQTTRXEND:', () => {
        const r = rx;
        rx = undefined;
        if (!r || r.topic === undefined || r.got !== r.payloadLen) {
          if (TRACE) ev.note('incomplete CMQTT message dropped');
          return;
        }
        ev.message(r.topic, concatBytes(r.chunks));
      });
      on('+CMQTTCONNLOST:', (f) => {
        rx = undefined;
        ev.lost(DETAIL ? 'CMQTTCONNLOST ' + (f[1] === undefined ? '?' : f[1]) : ''); // a diagnostic (DETAIL: core/flags.ts)
      });
    },

    open(host: string, port: number, clientId: string): Promise<void> {
      const ct = FULL && o.connectTimeoutMs !== undefined ? o.connectTimeoutMs : 30000;
      const first = acquired ? Promise.resolve() : sendForUrc(at, platform, 'AT+CMQTTSTART', '+CMQTTSTART:', () => true, ct, 'MODEM_MQTT_CONNECT')
        .then((f) => {
          // 0 started; 23 = already started (a previous run did not stop it): usable as is.
          if (f[0] !== '0' && f[0] !== '23') throw new SimedgeError('MODEM_MQTT_CONNECT', DETAIL ? 'CMQTTSTART result ' + f[0] : undefined);
          return sendAs(at, 'AT+CMQTTACCQ=0,"' + clientId + '",0', 'MODEM_MQTT_CONNECT');
        })
        .then(() => {
          acquired = true;
        });
      const ka = FULL && o.keepAliveS !== undefined ? o.keepAliveS : 60;
      return first
        .then(() => sendForUrc(at, platform, 'AT+CMQTTCONNECT=0,"tcp://' + host + ':' + port + '",' + ka + ',1', '+CMQTTCONNECT:',
          (f) => f[0] === '0', ct, 'MODEM_MQTT_CONNECT'))
        .then((f) => {
          if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_CONNECT', DETAIL ? 'CMQTTCONNECT result ' + f[1] : undefined);
        });
    },

    publish(topic: string, payload: Uint8Array): Promise<void> {
      // The session checked the topic (FULL: see session.ts connect); the lean build only needs its bytes.
      const t = FULL ? asciiTopic(topic, 1024) : byteString(topic);
      const big = payloadError(payload.length, CMQTT_MAX_PAYLOAD, 'CMQTT publish');
      if (big) return Promise.reject(big);
      return sendAs(at, 'AT+CMQTTTOPIC=0,' + t.length, 'MODEM_MQTT_PUBLISH', { payload: t })
        .then(() => sendAs(at, 'AT+CMQTTPAYLOAD=0,' + payload.length, 'MODEM_MQTT_PUBLISH', { payload: payload }))
        .then(() => sendForUrc(at, platform, 'AT+CMQTTPUB=0,1,60', '+CMQTTPUB:', (f) => f[0] === '0', opTimeout(), 'MODEM_MQTT_PUBLISH'))
        .then((f) => {
          if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_PUBLISH', DETAIL ? 'CMQTTPUB result ' + f[1] : undefined);
        });
    },

    subscribe(topic: string): Promise<void> {
      const t = FULL ? asciiTopic(topic, 1024) : byteString(topic); // as in publish
      return sendForUrc(at, platform, 'AT+CMQTTSUB=0,' + t.length + ',1', '+CMQTTSUB:', (f) => f[0] === '0', opTimeout(), 'MODEM_MQTT_SUBSCRIBE', { payload: t })
        .then((f) => {
          if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_SUBSCRIBE', DETAIL ? 'CMQTTSUB result ' + f[1] : undefined);
        });
    },

    disconnect(): Promise<void> {
      acquired = false;
      return sendForUrc(at, platform, 'AT+CMQTTDISC=0,60', '+CMQTTDISC:', (f) => f[0] === '0', 5000, 'MODEM_MQTT_CONNECT')
        .then(noop, noop)
        .then(() => sendQuiet(at, 'AT+CMQTTREL=0'))
        .then(() => sendQuiet(at, 'AT+CMQTTSTOP'));
    },

    stop(): void {
      for (let i = 0; i < offs.length; i++) (offs[i] as () => void)();
      offs = [];
      rx = undefined;
    },
  };
} as unknown as new (at: AtEngine, platform: Platform, opts?: DriverOptions) => CmqttDriver;
