// SIMCom SIM7080/SIM7070 internal MQTT (`AT+SM…`). Publishes use the fixed-length
// `AT+SMPUB="<topic>",<len>,<qos>,<retain>` + `>` form; received payloads are hex
// (`AT+SMCONF="SUBHEX",1`) in `+SMSUB: "<topic>","<hex>"`, so a payload never breaks a line.
// Link loss: `+SMSTATE: 0` (the modem's disconnect URC).
import type { AtEngine } from '../at/engine.js';
import type { Platform } from '../platform.js';
import { asciiTopic, fromHex } from './bytes.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { sendAs, sendQuiet } from './urc-wait.js';

/** Largest SMPUB payload accepted here. */
export const SM_MAX_PAYLOAD = 10240;

const SUB = /^\+SMSUB: "([^"]*)","([0-9A-Fa-f]*)"\s*$/;

export class SmDriver implements MqttDriver {
  private readonly at: AtEngine;
  private readonly o: DriverOptions;
  private offs: Array<() => void> = [];

  constructor(at: AtEngine, platform: Platform, opts?: DriverOptions) {
    this.at = at;
    this.o = opts || {};
    void platform; // symmetric constructor; SM answers synchronously, no URC deadlines needed
  }

  start(ev: DriverEvents): void {
    this.offs.push(this.at.onUrc('+SMSUB:', (line) => {
      const m = SUB.exec(line);
      const b = m ? fromHex(m[2] as string) : undefined;
      if (!m || !b) return ev.note('malformed +SMSUB dropped (is SUBHEX on?)');
      ev.message(m[1] as string, b);
    }));
    this.offs.push(this.at.onUrc('+SMSTATE:', (line) => {
      if (/^\+SMSTATE: 0\s*$/.test(line)) ev.lost('SMSTATE 0');
    }));
  }

  open(host: string, port: number, clientId: string): Promise<void> {
    const ct = this.o.connectTimeoutMs === undefined ? 30000 : this.o.connectTimeoutMs;
    const conf = (s: string) => sendAs(this.at, 'AT+SMCONF=' + s, 'MODEM_MQTT_CONNECT');
    return conf('"URL","' + host + '",' + port)
      .then(() => conf('"CLIENTID","' + clientId + '"'))
      .then(() => conf('"KEEPTIME",' + (this.o.keepAliveS === undefined ? 60 : this.o.keepAliveS)))
      .then(() => conf('"CLEANSS",1'))
      .then(() => conf('"SUBHEX",1'))
      .then(() => sendAs(this.at, 'AT+SMCONN', 'MODEM_MQTT_CONNECT', { timeoutMs: ct }))
      .then(() => undefined);
  }

  publish(topic: string, payload: Uint8Array): Promise<void> {
    asciiTopic(topic, 255);
    if (payload.length === 0 || payload.length > SM_MAX_PAYLOAD) return Promise.reject(new RangeError('SM publish: payload is 1..' + SM_MAX_PAYLOAD + ' bytes'));
    return sendAs(this.at, 'AT+SMPUB="' + topic + '",' + payload.length + ',1,0', 'MODEM_MQTT_PUBLISH', { payload: payload, timeoutMs: this.opTimeout() })
      .then(() => undefined);
  }

  subscribe(topic: string): Promise<void> {
    asciiTopic(topic, 255);
    return sendAs(this.at, 'AT+SMSUB="' + topic + '",1', 'MODEM_MQTT_SUBSCRIBE', { timeoutMs: this.opTimeout() }).then(() => undefined);
  }

  disconnect(): Promise<void> {
    return sendQuiet(this.at, 'AT+SMDISC');
  }

  stop(): void {
    for (let i = 0; i < this.offs.length; i++) (this.offs[i] as () => void)();
    this.offs = [];
  }

  private opTimeout(): number {
    return this.o.opTimeoutMs === undefined ? 15000 : this.o.opTimeoutMs;
  }
}

