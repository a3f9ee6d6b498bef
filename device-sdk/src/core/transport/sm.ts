// SIMCom SIM7080/SIM7070 internal MQTT (`AT+SM…`). Publishes use the fixed-length
// `AT+SMPUB="<topic>",<len>,<qos>,<retain>` + `>` form; received payloads are hex
// (`AT+SMCONF="SUBHEX",1`) in `+SMSUB: "<topic>","<hex>"`, so a payload never breaks a line.
// Link loss: `+SMSTATE: 0` (the modem's disconnect URC).
import type { AtEngine } from '../at/engine.js';
import { noop, type Platform } from '../platform.js';
import { asciiTopic, fromHex } from './bytes.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { payloadError, sendAs, sendQuiet } from './urc-wait.js';
import { DETAIL, FULL, TRACE } from '../flags.js';

/** Largest SMPUB payload: the SIM7080 takes at most 1024 bytes in one AT+SMPUB (its test form says so; the emulator too). */
export const SM_MAX_PAYLOAD = 1024;

const SUB = /^\+SMSUB: "([^"]*)","([0-9A-Fa-f]*)"\s*$/;

/** The SM driver (an MqttDriver). */
export type SmDriver = MqttDriver;

/**
 * `new SmDriver(at, platform, opts)`. Closures instead of a class, like qmt.ts: locals minify to
 * one letter where a class pays `this.` and a member name (the Espruino bundle keeps its source
 * in RAM). SM answers synchronously, so no URC deadlines and no use for the platform.
 */
export const SmDriver = function SmDriver(at: AtEngine, platform: Platform, opts?: DriverOptions): SmDriver {
  // The lean build has no driver options: the Espruino firmware API cannot pass any (FULL).
  const o = (FULL && opts) || {};
  const opTimeout = FULL && o.opTimeoutMs !== undefined ? o.opTimeoutMs : 15000;
  let offs: Array<() => void> = [];
  void platform; // symmetric constructor

  return {
    start(ev: DriverEvents): void {
      offs.push(at.onUrc('+SMSUB:', (line) => {
        const m = SUB.exec(line);
        const b = m ? fromHex(m[2] as string) : undefined;
        if (!m || !b) {
          if (TRACE) ev.note('malformed +SMSUB dropped (is SUBHEX on?)');
          return;
        }
        ev.message(m[1] as string, b);
      }));
      offs.push(at.onUrc('+SMSTATE:', (line) => {
        if (/^\+SMSTATE: 0\s*$/.test(line)) ev.lost(DETAIL ? 'SMSTATE 0' : ''); // a diagnostic (DETAIL: core/flags.ts)
      }));
    },

    open(host: string, port: number, clientId: string): Promise<void> {
      const ct = FULL && o.connectTimeoutMs !== undefined ? o.connectTimeoutMs : 30000;
      const conf = (s: string) => sendAs(at, 'AT+SMCONF=' + s, 'MODEM_MQTT_CONNECT');
      return conf('"URL","' + host + '",' + port)
        .then(() => conf('"CLIENTID","' + clientId + '"'))
        .then(() => conf('"KEEPTIME",' + (FULL && o.keepAliveS !== undefined ? o.keepAliveS : 60)))
        .then(() => conf('"CLEANSS",1'))
        .then(() => conf('"SUBHEX",1'))
        .then(() => sendAs(at, 'AT+SMCONN', 'MODEM_MQTT_CONNECT', { timeoutMs: ct }))
        .then(noop);
    },

    publish(topic: string, payload: Uint8Array): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // the session checked it (FULL: see session.ts connect)
      const big = payloadError(payload.length, SM_MAX_PAYLOAD, 'SM publish');
      if (big) return Promise.reject(big);
      return sendAs(at, 'AT+SMPUB="' + topic + '",' + payload.length + ',1,0', 'MODEM_MQTT_PUBLISH', { payload: payload, timeoutMs: opTimeout })
        .then(noop);
    },

    subscribe(topic: string): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // the session checked it (FULL: see session.ts connect)
      return sendAs(at, 'AT+SMSUB="' + topic + '",1', 'MODEM_MQTT_SUBSCRIBE', { timeoutMs: opTimeout }).then(noop);
    },

    disconnect(): Promise<void> {
      return sendQuiet(at, 'AT+SMDISC');
    },

    stop(): void {
      for (let i = 0; i < offs.length; i++) (offs[i] as () => void)();
      offs = [];
    },
  };
} as unknown as new (at: AtEngine, platform: Platform, opts?: DriverOptions) => SmDriver;
