// u-blox SARA-R4/R5 internal MQTT (`AT+UMQTT…`). Publishes use the binary
// `AT+UMQTTC=9,<qos>,<retain>,"<topic>",<len>` + `>` form (SARA-R5, R422); the R410M lacks it and
// publishes hex `AT+UMQTTC=2,<qos>,<retain>,1,"<topic>","<hex>"` (short payloads only). Received
// messages are announced as an unread count `+UUMQTTC: 6,<n>` and fetched with `AT+UMQTTC=6`:
//   R5:  +UMQTTC: 6,<qos>,<topic_len>,<msg_len>,"<topic>","<msg>"
//   R4:  +UMQTTC: 6,<qos>,<topic_len+msg_len>,<topic_len>,"<topic>",<msg_len>,"<msg>"
// Both carry the lengths first, so the fields are read by count (see quoted.ts). Login result:
// `+UUMQTTC: 1,<r>` (1 = success on R5/R422; the R410M reports success as 0). Link loss:
// `+UUMQTTC: 0,<cause>`.
import { SimedgeError } from '../../wire/codes.js';
import type { AtEngine } from '../at/engine.js';
import { fieldsOf } from '../cereg.js';
import type { Platform } from '../platform.js';
import { asciiTopic, upperHex } from './bytes.js';
import { readQuoted } from './quoted.js';
import type { DriverEvents, DriverOptions, MqttDriver } from './types.js';
import { payloadError, sendAs, sendForUrc, sendQuiet } from './urc-wait.js';
import { digits } from '../../wire/chars.js';
import { DETAIL, FULL, TRACE } from '../flags.js';

/** Largest binary publish accepted here. */
export const UMQTT_MAX_PAYLOAD = 1024;

export interface UmqttOptions extends DriverOptions {
  /** SARA-R410M firmware: login success is reported as `+UUMQTTC: 1,0`. */
  r410m?: boolean;
}

// Espruino's RegExp has no {n,m} (wire/chars.ts): the lengths are checked with digits().
const READ = /^\+UMQTTC: 6,([0-9]),([0-9]+),([0-9]+),"/;
/** AtEngine's longest command line. */
const MAX_CMD = 1024;

/** The `+UMQTTC: <op>,<result>` line of an accepted command (1 = success). */
function accepted(lines: string[], op: string): boolean {
  for (let i = 0; i < lines.length; i++) {
    const f = fieldsOf(lines[i] as string, '+UMQTTC:');
    if (f && f[0] === op) return f[1] === '1';
  }
  return true; // firmware that answers with a bare OK
}

/** The UMQTT driver (an MqttDriver). */
export type UmqttDriver = MqttDriver;

/**
 * `new UmqttDriver(at, platform, opts)`. Closures instead of a class, like qmt.ts: locals minify
 * to one letter where a class pays `this.` and a member name (the Espruino bundle keeps its
 * source in RAM).
 */
export const UmqttDriver = function UmqttDriver(at: AtEngine, platform: Platform, opts?: UmqttOptions): UmqttDriver {
  const o = opts || {};
  // `r410m` is read in every build: the Espruino bundle for the SARA-R410M passes it
  // (ESPRUINO_MODEMS in scripts/build-espruino.ts). The other options only in the full build: the
  // Espruino firmware API cannot pass them (FULL: core/flags.ts). Read on every call, as the
  // options object is the caller's.
  const opTimeout = (): number => FULL && o.opTimeoutMs !== undefined ? o.opTimeoutMs : 15000;
  let offs: Array<() => void> = [];
  let reading = false;
  /** A count URC came during the read in flight. */
  let again = false;

  /** Fetch unread messages; one read at a time (a count URC during a read is served by it). */
  const read = (ev: DriverEvents): void => {
    // A count URC during a read may announce a message the read no longer returns (it came after
    // the modem answered): read once more when this one ends.
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    again = false;
    const done = (): void => {
      reading = false;
      if (again) read(ev);
    };
    at.send('AT+UMQTTC=6', { timeoutMs: opTimeout() }).then(done, (e: unknown) => {
      if (TRACE) ev.note('AT+UMQTTC=6 failed: ' + String(e instanceof Error ? e.message : e));
      done();
    });
  };

  // The notes are diagnostics: the lean session reads none of them (TRACE: core/flags.ts).
  const onRead = (line: string, term: number | undefined, ev: DriverEvents): void => {
    const m = READ.exec(line);
    if (!m || !digits(m[2], 1, 5) || !digits(m[3], 1, 5)) return; // `+UMQTTC: 6,1`: the read command's own result line
    const a = parseInt(m[2] as string, 10);
    const b = parseInt(m[3] as string, 10);
    const ts = (m[0] as string).length;
    let tl: number;
    let n: number;
    let sep: RegExpExecArray | null;
    if (o.r410m) {
      tl = b; // R4: <topic+msg len>,<topic len>,"<topic>",<msg len>,"<msg>"
      sep = /^",([0-9]+),"/.exec(line.substring(ts + tl));
      if (sep && !digits(sep[1], 1, 5)) sep = null;
      n = sep ? parseInt(sep[1] as string, 10) : -1;
      if (n + tl !== a) sep = null;
    } else {
      tl = a; // R5: <topic len>,<msg len>,"<topic>","<msg>"
      n = b;
      sep = /^","/.exec(line.substring(ts + tl));
    }
    const topic = line.substring(ts, ts + tl);
    if (topic.length !== tl || !sep) {
      if (TRACE) ev.note('malformed +UMQTTC: 6 line dropped');
      return;
    }
    if (n > UMQTT_MAX_PAYLOAD) {
      if (TRACE) ev.note('+UMQTTC: 6 message of ' + n + ' bytes exceeds ' + UMQTT_MAX_PAYLOAD + ', dropped');
      return;
    }
    readQuoted(at, line, ts + tl + (sep[0] as string).length, n, term, (p) => ev.message(topic, p), (why) => {
      if (TRACE) ev.note('UMQTT message on ' + topic + ' dropped: ' + why);
    });
  };

  return {
    start(ev: DriverEvents): void {
      offs.push(at.onUrc('+UUMQTTC:', (line) => {
        const f = fieldsOf(line, '+UUMQTTC:');
        if (!f) return;
        if (f[0] === '0') ev.lost(DETAIL ? 'UUMQTTC 0,' + (f[1] === undefined ? '?' : f[1]) : ''); // a diagnostic (DETAIL: core/flags.ts)
        else if (f[0] === '6' && f[1] !== '0') read(ev);
      }));
      // `term`: the byte that ended the line, when the engine reports it (see quoted.ts).
      offs.push(at.onUrc('+UMQTTC: 6,', (line: string, term?: number) => onRead(line, term, ev)));
    },

    open(host: string, port: number, clientId: string): Promise<void> {
      const ct = FULL && o.connectTimeoutMs !== undefined ? o.connectTimeoutMs : 30000;
      const set = (s: string) => sendAs(at, 'AT+UMQTT=' + s, 'MODEM_MQTT_CONNECT');
      return set('0,"' + clientId + '"')
        .then(() => set('2,"' + host + '",' + port))
        .then(() => set('12,1')) // clean session
        .then(() => sendForUrc(at, platform, 'AT+UMQTTC=1', '+UUMQTTC:', (f) => f[0] === '1', ct, 'MODEM_MQTT_CONNECT'))
        .then((f) => {
          const ok = o.r410m ? '0' : '1';
          if (f[1] !== ok) throw new SimedgeError('MODEM_MQTT_CONNECT', DETAIL ? 'UUMQTTC login result ' + f[1] : undefined);
        });
    },

    publish(topic: string, payload: Uint8Array): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // the session checked it (FULL: see session.ts connect)
      if (o.r410m) {
        const head = 'AT+UMQTTC=2,1,0,1,"' + topic + '","';
        // The hex form must fit one command line: about 480 bytes of message.
        const big = payloadError(payload.length, (MAX_CMD - head.length - 1) >> 1, 'UMQTT hex publish');
        if (big) return Promise.reject(big);
        const cmd = head + upperHex(payload) + '"';
        return sendAs(at, cmd, 'MODEM_MQTT_PUBLISH', { timeoutMs: opTimeout() }).then((lines) => {
          if (!accepted(lines, '2')) throw new SimedgeError('MODEM_MQTT_PUBLISH', DETAIL ? 'UMQTTC 2 refused' : undefined);
        });
      }
      const big = payloadError(payload.length, UMQTT_MAX_PAYLOAD, 'UMQTT publish');
      if (big) return Promise.reject(big);
      return sendAs(at, 'AT+UMQTTC=9,1,0,"' + topic + '",' + payload.length, 'MODEM_MQTT_PUBLISH', { payload: payload, timeoutMs: opTimeout() })
        .then((lines) => {
          if (!accepted(lines, '9')) throw new SimedgeError('MODEM_MQTT_PUBLISH', DETAIL ? 'UMQTTC 9 refused' : undefined);
        });
    },

    subscribe(topic: string): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // the session checked it (FULL: see session.ts connect)
      return sendAs(at, 'AT+UMQTTC=4,1,"' + topic + '"', 'MODEM_MQTT_SUBSCRIBE', { timeoutMs: opTimeout() })
        .then((lines) => {
          if (!accepted(lines, '4')) throw new SimedgeError('MODEM_MQTT_SUBSCRIBE', DETAIL ? 'UMQTTC 4 refused' : undefined);
        });
    },

    disconnect(): Promise<void> {
      return sendQuiet(at, 'AT+UMQTTC=0');
    },

    stop(): void {
      for (let i = 0; i < offs.length; i++) (offs[i] as () => void)();
      offs = [];
    },
  };
} as unknown as new (at: AtEngine, platform: Platform, opts?: UmqttOptions) => UmqttDriver;
