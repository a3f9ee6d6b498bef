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
import type { Platform } from '../platform.js';
import { asciiTopic, concatBytes, toByteString } from './bytes.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { sendAs, sendForUrc, sendQuiet } from './urc-wait.js';
import { rangeError } from '../platform.js';
import { digits } from '../../wire/chars.js';

/** Largest CMQTTPAYLOAD. */
export const CMQTT_MAX_PAYLOAD = 10240;

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

export class CmqttDriver implements MqttDriver {
  private readonly at: AtEngine;
  private readonly platform: Platform;
  private readonly o: DriverOptions;
  private offs: Array<() => void> = [];
  /** AT+CMQTTSTART and ACCQ done (they survive a link loss; only CONNECT is repeated). */
  private acquired = false;
  private rx: Rx | undefined;

  constructor(at: AtEngine, platform: Platform, opts?: DriverOptions) {
    this.at = at;
    this.platform = platform;
    this.o = opts || {};
  }

  start(ev: DriverEvents): void {
    const on = (p: string, fn: (f: string[]) => void) => {
      this.offs.push(this.at.onUrc(p, (line) => {
        const f = fieldsOf(line, p);
        if (f && f[0] === '0') fn(f);
      }));
    };
    on('+CMQTTRXSTART:', (f) => {
      if (this.rx) ev.note('+CMQTTRXSTART before the previous message ended: previous dropped');
      const tl = int(f[1]);
      const pl = int(f[2]);
      this.rx = tl > 0 && pl >= 0 && pl <= CMQTT_MAX_PAYLOAD ? { topicLen: tl, payloadLen: pl, topic: undefined, chunks: [], got: 0 } : undefined;
      if (!this.rx) ev.note('malformed or oversized +CMQTTRXSTART dropped');
    });
    on('+CMQTTRXTOPIC:', (f) => {
      const rx = this.rx;
      const n = int(f[1]);
      if (!rx || n !== rx.topicLen) {
        this.rx = undefined;
        if (n > 0 && n <= MAX_BINARY) this.at.expectBytes(n, () => undefined); // skip the block, stay in sync
        return ev.note('+CMQTTRXTOPIC out of sequence dropped');
      }
      this.at.expectBytes(n, (b) => {
        if (this.rx === rx) rx.topic = toByteString(b);
      });
    });
    on('+CMQTTRXPAYLOAD:', (f) => {
      const rx = this.rx;
      const n = int(f[1]);
      if (!rx || rx.topic === undefined || n <= 0 || rx.got + n > rx.payloadLen) {
        this.rx = undefined;
        if (n > 0 && n <= MAX_BINARY) this.at.expectBytes(n, () => undefined);
        return ev.note('+CMQTTRXPAYLOAD out of sequence or too long dropped');
      }
      this.at.expectBytes(n, (b) => {
        if (this.rx !== rx) return;
        rx.chunks.push(b);
        rx.got += b.length;
      });
    });
    on('+CMQTTRXEND:', () => {
      const rx = this.rx;
      this.rx = undefined;
      if (!rx || rx.topic === undefined || rx.got !== rx.payloadLen) return ev.note('incomplete CMQTT message dropped');
      ev.message(rx.topic, concatBytes(rx.chunks));
    });
    on('+CMQTTCONNLOST:', (f) => {
      this.rx = undefined;
      ev.lost('CMQTTCONNLOST ' + (f[1] === undefined ? '?' : f[1]));
    });
  }

  open(host: string, port: number, clientId: string): Promise<void> {
    const ct = this.o.connectTimeoutMs === undefined ? 30000 : this.o.connectTimeoutMs;
    const first = this.acquired ? Promise.resolve() : sendForUrc(this.at, this.platform, 'AT+CMQTTSTART', '+CMQTTSTART:', () => true, ct, 'MODEM_MQTT_CONNECT')
      .then((f) => {
        // 0 started; 23 = already started (a previous run did not stop it): usable as is.
        if (f[0] !== '0' && f[0] !== '23') throw new SimedgeError('MODEM_MQTT_CONNECT', 'CMQTTSTART result ' + f[0]);
        return sendAs(this.at, 'AT+CMQTTACCQ=0,"' + clientId + '",0', 'MODEM_MQTT_CONNECT');
      })
      .then(() => {
        this.acquired = true;
      });
    const ka = this.o.keepAliveS === undefined ? 60 : this.o.keepAliveS;
    return first
      .then(() => sendForUrc(this.at, this.platform, 'AT+CMQTTCONNECT=0,"tcp://' + host + ':' + port + '",' + ka + ',1', '+CMQTTCONNECT:',
        (f) => f[0] === '0', ct, 'MODEM_MQTT_CONNECT'))
      .then((f) => {
        if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_CONNECT', 'CMQTTCONNECT result ' + f[1]);
      });
  }

  publish(topic: string, payload: Uint8Array): Promise<void> {
    const t = asciiTopic(topic, 1024);
    if (payload.length === 0 || payload.length > CMQTT_MAX_PAYLOAD) return Promise.reject(rangeError('CMQTT publish: payload is 1..' + CMQTT_MAX_PAYLOAD + ' bytes'));
    return sendAs(this.at, 'AT+CMQTTTOPIC=0,' + t.length, 'MODEM_MQTT_PUBLISH', { payload: t })
      .then(() => sendAs(this.at, 'AT+CMQTTPAYLOAD=0,' + payload.length, 'MODEM_MQTT_PUBLISH', { payload: payload }))
      .then(() => sendForUrc(this.at, this.platform, 'AT+CMQTTPUB=0,1,60', '+CMQTTPUB:', (f) => f[0] === '0', this.opTimeout(), 'MODEM_MQTT_PUBLISH'))
      .then((f) => {
        if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_PUBLISH', 'CMQTTPUB result ' + f[1]);
      });
  }

  subscribe(topic: string): Promise<void> {
    const t = asciiTopic(topic, 1024);
    return sendForUrc(this.at, this.platform, 'AT+CMQTTSUB=0,' + t.length + ',1', '+CMQTTSUB:', (f) => f[0] === '0', this.opTimeout(), 'MODEM_MQTT_SUBSCRIBE', { payload: t })
      .then((f) => {
        if (f[1] !== '0') throw new SimedgeError('MODEM_MQTT_SUBSCRIBE', 'CMQTTSUB result ' + f[1]);
      });
  }

  disconnect(): Promise<void> {
    this.acquired = false;
    return sendForUrc(this.at, this.platform, 'AT+CMQTTDISC=0,60', '+CMQTTDISC:', (f) => f[0] === '0', 5000, 'MODEM_MQTT_CONNECT')
      .then(() => undefined, () => undefined)
      .then(() => sendQuiet(this.at, 'AT+CMQTTREL=0'))
      .then(() => sendQuiet(this.at, 'AT+CMQTTSTOP'));
  }

  stop(): void {
    for (let i = 0; i < this.offs.length; i++) (this.offs[i] as () => void)();
    this.offs = [];
    this.rx = undefined;
  }

  private opTimeout(): number {
    return this.o.opTimeoutMs === undefined ? 15000 : this.o.opTimeoutMs;
  }
}
