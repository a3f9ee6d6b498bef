// The firmware-facing API of the Espruino bundle: one call that runs FIG. 2 from the device's side
// over a modem on a serial port: attach (201-202), modem-internal MQTT to the broker, provisioning
// hello → chal → prov → acc → ready (203-207), and stop(): bye → term (208-210), radio off.
// Errors are reported through onError, never thrown out of a callback (STYLE #9).
//
// Which modem-MQTT drivers the bundle carries is chosen at build time (`drivers`), so a firmware
// pays only for its modem. A `generic` 27.007 modem has no internal MQTT: the firmware then passes
// its own `transport` (e.g. Espruino's MQTT module over the board's network).
import { AtEngine, type AtTrace } from '../../core/at/engine.js';
import { deviceCodec } from '../../core/codec/device-codec.js';
import type { Dialect } from '../../core/lifecycle.js';
import { attach, detach, type AttachInfo } from '../../core/modem.js';
import { has, type Platform } from '../../core/platform.js';
import { ProvisionClient, type ProvisionTransport } from '../../core/provision.js';
import { MqttSession } from '../../core/transport/session.js';
import type { MqttDriver } from '../../core/transport/types.js';
import type { DevReady, Term } from '../../wire/messages.js';
import type { TraceSink } from '../../wire/trace.js';
import { byteString } from '../../core/transport/bytes.js';
import { espruinoSerial, type EspruinoSerial } from './serial.js';

export type DriverFactory = (at: AtEngine, platform: Platform) => MqttDriver;

export interface SimEdgeOptions {
  /** Serial1 (already set up by the firmware). */
  serial: EspruinoSerial;
  /** The factory-signed template (COSE_Sign1), as bytes or a byte string (Storage.read gives one). */
  template: Uint8Array | string;
  /** MQTT broker of the core, "host" or "host:port" (default port 1883); not used with `transport`. */
  broker?: string;
  /** Modem family (default `quectel` when the bundle has its driver, else `generic`). */
  dialect?: Dialect;
  /** A transport of the firmware's own (required for `generic`). */
  transport?: ProvisionTransport;
  apn?: string;
  pin?: string;
  /** Deadline of an AT command without its own (default 5000 ms). */
  atTimeoutMs?: number;
  /** Deadline of each provisioning wait (default 10000 ms; ready 30000 ms). */
  timeoutMs?: number;
  onReady?: (r: DevReady, info: AttachInfo) => void;
  onTerm?: (t: Term) => void;
  onError?: (e: Error) => void;
  /**
   * Trace events and AT line logs. Silent in bundles built by scripts/build-espruino.ts (the lean
   * build compiles traces out to save RAM); they work when these sources run unbundled.
   */
  trace?: TraceSink;
  atTrace?: AtTrace;
}

export interface SimEdge {
  /** Provisioning state: idle, hello-sent, …, ready, bye-sent, terminated, rejected. */
  state(): string;
  /** bye (208) → term (210) for every live provision, MQTT closed, radio off. */
  stop(): Promise<Term[]>;
}

function report(o: SimEdgeOptions, e: unknown): void {
  if (!o.onError) return;
  try {
    o.onError(e instanceof Error ? e : new Error(String(e)));
  } catch (err) {
    // the firmware's handler failed: nothing more to tell
  }
}

function hostPort(broker: string | undefined): { host: string; port: number } {
  const m = /^([A-Za-z0-9.-]+)(:([0-9]{1,5}))?$/.exec(broker || '');
  if (!m) throw new TypeError('SimEdge: broker must be "host" or "host:port"');
  return { host: m[1] as string, port: m[3] ? parseInt(m[3], 10) : 1883 };
}

/** The `start` of a bundle that carries these modem-MQTT drivers. */
export function simEdge(drivers: { [d: string]: DriverFactory }, platform: Platform): (o: SimEdgeOptions) => SimEdge {
  return (o) => {
    const tpl = typeof o.template === 'string' ? byteString(o.template) : o.template;
    if (!(tpl instanceof Uint8Array) || tpl.length === 0) throw new TypeError('SimEdge: template must be COSE bytes');
    const dialect: Dialect = o.dialect || (drivers.quectel ? 'quectel' : 'generic');
    const make = has(drivers, dialect) ? drivers[dialect] : undefined;
    if (!o.transport && !make) throw new TypeError('SimEdge: no MQTT driver for ' + dialect + ' in this bundle; pass a transport');
    const broker = o.transport ? undefined : hostPort(o.broker);
    const at = new AtEngine(espruinoSerial(o.serial), platform, { trace: o.atTrace, defaultTimeoutMs: o.atTimeoutMs });
    const session = !o.transport && make ? new MqttSession(make(at, platform), platform) : undefined;
    let client: ProvisionClient | undefined;
    let stopping = false;

    if (session) session.onFail((e) => report(o, e));
    attach(at, platform, { dialect: dialect, apn: o.apn, pin: o.pin })
      .then((info) => {
        if (stopping) return undefined;
        const connected = session && broker ? session.connect(broker.host, broker.port, info.imsi) : Promise.resolve();
        return connected.then(() => {
          client = new ProvisionClient({
            imsi: info.imsi, codec: deviceCodec(), transport: session || (o.transport as ProvisionTransport), platform: platform,
            timeoutMs: o.timeoutMs, trace: o.trace, onTerm: o.onTerm,
          });
          return client.provision(info, 'on', tpl);
        }).then((r) => {
          if (o.onReady) o.onReady(r, info);
        });
      })
      .then(undefined, (e: unknown) => report(o, e));

    return {
      state: () => (client ? client.state : 'idle'),
      stop: () => {
        stopping = true;
        const bye = client ? client.bye('off') : Promise.resolve([] as Term[]);
        const down = (): Promise<void> => {
          if (client) client.close();
          return (session ? session.close() : Promise.resolve())
            .then(() => detach(at))
            .then(() => at.close(), () => at.close());
        };
        return bye.then((terms) => down().then(() => terms), (e: unknown) => down().then(() => {
          throw e;
        }));
      },
    };
  };
}
