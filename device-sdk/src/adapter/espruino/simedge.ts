// The firmware-facing API of the Espruino bundle: one call that runs FIG. 2 from the device's side
// over a modem on a serial port: attach (201-202), modem-internal MQTT to the broker, provisioning
// hello → chal → prov → acc → ready (203-207), re-provisioning with reason `roam` when the modem
// reports a new cell or roaming (+CEREG; with `homePlmn` also a serving PLMN other than the SIM's
// home PLMN, as NodeDevice), and stop(): bye → term (208-210), radio off.
// Provisioning goes through core/provisioner.ts, as on Node: temporary failures are retried with
// jittered exponential backoff and, with a budget, every message and the modem's MQTT link are
// metered (DESIGN.md). In the lean bundle the same retry loop re-opens a lost link (the session
// has no loop of its own there).
// Errors are reported through onError, never thrown out of a callback (STYLE #9).
//
// Which modem-MQTT drivers the bundle carries is chosen at build time (`drivers`), so a firmware
// pays only for its modem. A `generic` 27.007 modem has no internal MQTT: the firmware then passes
// its own `transport` (e.g. Espruino's MQTT module over the board's network).
//
// So are the data budget (BUDGET) and roaming by home PLMN (HOMEPLMN), for a firmware that does not
// use them (`simedge espruino build --without budget,home-plmn`): a bundle built without one
// refuses its options with a TypeError from start() rather than run unmetered, or miss a roam.
//
// IoT SAFE is a build-time choice too: the entry hands over the client (`iotSafe`: core/iotsafe.ts
// iotSafeProver, entry-iotsafe.ts) and the bundle is built with IOTSAFE (core/flags.ts), which
// keeps the provisioning client's proof path. Then the firmware's `iotSafe` option answers every
// chal with the SIM's proof (the SIM signs, the MCU only moves APDUs through AT+CSIM; SHA-256 comes
// from the firmware, `require('crypto').SHA256`). A bundle without both refuses the option (a
// TypeError from start()) rather than provision without the proof the firmware asked for.
import { AtEngine, type AtTrace } from '../../core/at/engine.js';
import { deviceCodec } from '../../core/codec/device-codec.js';
import { isRoaming, type Dialect } from '../../core/lifecycle.js';
import { isRegistered, type Registration } from '../../core/cereg.js';
import { attach, detach, readOperator, watchRegistration, type AttachInfo } from '../../core/modem.js';
import { has, noop, type Platform } from '../../core/platform.js';
import type { ProvisionTransport } from '../../core/provision.js';
import { Provisioner, type RetryInfo } from '../../core/provisioner.js';
import { MqttSession } from '../../core/transport/session.js';
import type { MqttDriver } from '../../core/transport/types.js';
import type { DevReady, Term } from '../../wire/messages.js';
import type { TraceSink } from '../../wire/trace.js';
import { byteString } from '../../core/transport/bytes.js';
import { budgetDriver, DataBudget } from '../../core/budget.js';
import { SimedgeError } from '../../wire/codes.js';
import { BUDGET, FULL, HOMEPLMN, IOTSAFE } from '../../core/flags.js';
import type { IotSafeOptions, iotSafeProver } from '../../core/iotsafe.js';
import { espruinoSerial, type EspruinoSerial } from './serial.js';
import { allChars, alnumOr, digits } from '../../wire/chars.js';

export type DriverFactory = (at: AtEngine, platform: Platform) => MqttDriver;

/** The IoT SAFE client a bundle carries: core/iotsafe.ts iotSafeProver (entry-iotsafe.ts). */
export type IotSafeProver = typeof iotSafeProver;

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
  /**
   * Also call it roaming when the serving PLMN (AT+COPS?) is not the SIM's home PLMN (IMSI + MNC
   * length from EF_AD), not only on +CEREG stat 5 (patent claim 2): SIMs of MVNOs and national
   * roaming often register with stat 1 in a visited network. Attach reads EF_AD once more
   * (AT+CRSM); a move into such a network then re-provisions with `roaming: true`. Off by default.
   */
  homePlmn?: boolean;
  /**
   * IoT SAFE [GSMA IoT.05]: every prov carries the SIM's P-256 signature over nonce ‖
   * SHA-256(template) ‖ IMSI, made by the SIM's applet through AT+CSIM (a core whose policy has
   * requireSimProof needs it). `true` signs with private key id 01 in session 1; or name the key
   * by `keyId` (bytes) or `label`, and the `session`. Needs `sha256`. Only bundles built with the
   * IoT SAFE client have it (dist/espruino/simedge-iotsafe.min.js): start() throws a TypeError
   * in the others, and without `sha256`. A bad key option is a TypeError through onError, after
   * attach and before anything is sent.
   */
  iotSafe?: boolean | IotSafeOptions;
  /** `require('crypto').SHA256` (gives an ArrayBuffer); IoT SAFE needs it. */
  sha256?: (data: Uint8Array) => ArrayBuffer;
  /** Deadline of an AT command without its own (default 5000 ms). */
  atTimeoutMs?: number;
  /** Deadline of each provisioning wait (default 10000 ms; ready 30000 ms). */
  timeoutMs?: number;
  /**
   * Retries of a failed provisioning (transport failure, TIMEOUT, or a `rej` with a passing code,
   * core/provisioner.ts RETRYABLE_REJECTS) with jittered exponential backoff. Defaults: baseMs
   * 2000, maxMs 60000, attempts 4 (retries after the first try; 0 = none).
   */
  retry?: { baseMs?: number; maxMs?: number; attempts?: number };
  /**
   * Bytes per UTC day the provisioning traffic may use (both directions, MQTT and TCP/IP overhead
   * estimated, with the MQTT connects and keep-alive pings of the modem's link, core/budget.ts); a
   * send that would not leave room for the replies it causes fails with BUDGET_EXCEEDED before it
   * reaches the modem. Keep-alive pings are counted, never refused: 60 s costs about 121 KB a day
   * while connected. Default: no budget.
   */
  budgetBytesPerDay?: number;
  /** The day's usage saved from `budget()` before a reboot, so a reboot loop cannot reset it. */
  budgetState?: { day: number; used: number };
  /** Called with every ready: after start, and again after each re-provisioning for a move. */
  onReady?: (r: DevReady, info: AttachInfo) => void;
  /** The device moved (new cell, or roaming changed: +CEREG stat 5, or with `homePlmn` a visited PLMN); a `roam` provisioning follows. */
  onRoam?: (info: AttachInfo) => void;
  /** Told before each wait for a retry. */
  onRetry?: (r: RetryInfo) => void;
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
  /** Provisioning state: idle, hello-sent, …, ready, backoff, bye-sent, terminated, rejected. */
  state(): string;
  /** The data budget's usage today (to keep across a reboot as `budgetState`); undefined without one. */
  budget(): { day: number; used: number } | undefined;
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
  // Loops, not a RegExp: Espruino's has no `?` or `{n,m}` (wire/chars.ts).
  const s = broker || '';
  const colon = s.indexOf(':');
  const host = colon < 0 ? s : s.substring(0, colon);
  const port = colon < 0 ? '1883' : s.substring(colon + 1);
  if (!allChars(host, 1, 253, alnumOr('.-')) || !digits(port, 1, 5)) throw new TypeError('SimEdge: broker must be "host" or "host:port"');
  return { host: host, port: parseInt(port, 10) };
}

/**
 * The `start` of a bundle that carries these modem-MQTT drivers and, given `iotSafe` (and built
 * with IOTSAFE, core/flags.ts), the IoT SAFE client.
 */
export function simEdge(drivers: { [d: string]: DriverFactory }, platform: Platform, iotSafe?: IotSafeProver): (o: SimEdgeOptions) => SimEdge {
  return (o) => {
    const tpl = typeof o.template === 'string' ? byteString(o.template) : o.template;
    if (!(tpl instanceof Uint8Array) || tpl.length === 0) throw new TypeError('SimEdge: template must be COSE bytes');
    const dialect: Dialect = o.dialect || (drivers.quectel ? 'quectel' : 'generic');
    const make = has(drivers, dialect) ? drivers[dialect] : undefined;
    if (!o.transport && !make) throw new TypeError('SimEdge: no MQTT driver for ' + dialect + ' in this bundle; pass a transport');
    const broker = o.transport ? undefined : hostPort(o.broker);
    // IoT SAFE: refused by a bundle without the client (rather than provision without proofs);
    // both the core's proofs (IOTSAFE) and the client (`iotSafe`) must be built in.
    const safe = o.iotSafe;
    if (safe && (!IOTSAFE || !iotSafe)) throw new TypeError('SimEdge: iotSafe needs a bundle built with the IoT SAFE client (simedge-iotsafe.min.js)');
    // Options of features this bundle was built without: refused, never silently ignored.
    if (!BUDGET && (o.budgetBytesPerDay !== undefined || o.budgetState !== undefined)) throw new TypeError('SimEdge: budgetBytesPerDay needs a bundle built with the data budget');
    if (!HOMEPLMN && o.homePlmn) throw new TypeError('SimEdge: homePlmn needs a bundle built with it');
    const sha = o.sha256;
    if (IOTSAFE && safe && typeof sha !== 'function') throw new TypeError("SimEdge: iotSafe needs sha256: require('crypto').SHA256");
    const at = new AtEngine(espruinoSerial(o.serial), platform, { trace: o.atTrace, defaultTimeoutMs: o.atTimeoutMs });
    // The meter lives as long as the handle (budget() reads it before the first provisioning);
    // it meters the modem's MQTT link too: CONNECT and keep-alive (60 s here, core/budget.ts).
    const meter = BUDGET && o.budgetBytesPerDay ? new DataBudget(platform, { bytesPerDay: o.budgetBytesPerDay, state: o.budgetState }) : undefined;
    const driver = !o.transport && make ? make(at, platform) : undefined;
    const session = driver ? new MqttSession(meter ? budgetDriver(driver, meter, 60) : driver, platform) : undefined;
    let prov: Provisioner | undefined;
    let cur: AttachInfo | undefined;
    /** The IoT SAFE prover, made once the IMSI is known. */
    let prove: ((nonce: Uint8Array, template: Uint8Array) => Promise<Uint8Array>) | undefined;
    let unwatch: (() => void) | undefined;
    /** Moves are handled one after the other, as on Node (adapter/node/device.ts). */
    let moves: Promise<void> = Promise.resolve();
    let stopping = false;

    const ready = (r: DevReady, info: AttachInfo): void => {
      if (!stopping && o.onReady) o.onReady(r, info);
    };
    // A new cell or a change of roaming (+CEREG stat 5; with homePlmn, a serving PLMN other than
    // home, patent claim 2) re-provisions with reason `roam`, decided as NodeDevice does
    // (adapter/node/device.ts); make-before-break as in the core: the old provision stays until
    // the core terms it.
    const moved = (r: Registration): void => {
      const old = cur as AttachInfo;
      if (stopping || !isRegistered(r) || (r.ci === old.ci && r.roaming === old.roaming)) return;
      moves = moves.then(() => readOperator(at)).then((plmn) => {
        const p = prov as Provisioner;
        const was = cur as AttachInfo;
        const roaming = HOMEPLMN && o.homePlmn ? isRoaming(r.stat, plmn, was.imsi, was.home) : r.roaming;
        if (stopping || (r.ci === was.ci && roaming === was.roaming && plmn === was.plmn)) return undefined;
        const info: AttachInfo = { imsi: was.imsi, iccid: was.iccid, plmn: plmn, cell: r.ci, tac: r.tac, ci: r.ci, roaming: roaming, home: was.home };
        cur = info;
        if (o.onRoam) o.onRoam(info);
        return p.provision(info, 'roam', tpl).then((rd) => ready(rd, info));
      }).then(noop, (e: unknown) => {
        if (!stopping) report(o, e); // stop() ends a move in flight: not the firmware's error
      });
    };

    // The lean session tells onFail of every link loss and has no reconnect loop of its own
    // (core/transport/session.ts): the link is re-opened here with the Provisioner's retries
    // (`onRetry` with why `link`), queued with the moves so it never races a roam. Before the
    // first ready the provisioning's own retries re-open it. The full session retries itself and
    // calls onFail only when it gives up.
    // Not while stopping: the bye's own publish re-opens the link (core/provisioner.ts switchOff).
    const relink = (): void => {
      if (stopping || !unwatch || !session || !broker) return;
      const p = prov as Provisioner;
      moves = moves.then(() => p.withRetries('link', () => session.connect(broker.host, broker.port, (cur as AttachInfo).imsi)))
        .then(noop, (e: unknown) => {
          if (!stopping) report(o, e);
        });
    };
    if (session) session.onFail(FULL ? (e) => report(o, e) : relink);
    attach(at, platform, { dialect: dialect, apn: o.apn, pin: o.pin, homePlmn: HOMEPLMN && o.homePlmn })
      .then((info) => {
        if (stopping) return undefined;
        cur = info;
        // The prover checks the key options (TypeError) before the link opens; it signs each chal.
        if (IOTSAFE && safe) prove = (iotSafe as IotSafeProver)(at, (d) => new Uint8Array((sha as (data: Uint8Array) => ArrayBuffer)(d)), info.imsi, safe === true ? undefined : safe);
        const connected = session && broker ? session.connect(broker.host, broker.port, info.imsi) : Promise.resolve();
        return connected.then(() => {
          prov = new Provisioner({
            imsi: info.imsi, codec: deviceCodec(), transport: session || (o.transport as ProvisionTransport), platform: platform,
            timeoutMs: o.timeoutMs, trace: o.trace, onTerm: o.onTerm, retry: o.retry, budget: meter, onRetry: o.onRetry, prove: prove,
          });
          return prov.provision(info, 'on', tpl);
        }).then((r) => {
          if (!stopping) unwatch = watchRegistration(at, moved);
          ready(r, info);
        });
      })
      .then(noop, (e: unknown) => report(o, e));

    return {
      state: () => (prov ? prov.state : 'idle'),
      budget: () => (BUDGET && meter ? meter.snapshot() : undefined),
      stop: () => {
        stopping = true;
        if (unwatch) unwatch();
        // switchOff stops retries, says bye and waits up to timeoutMs for the terms; it never rejects.
        const off = prov ? prov.switchOff('off') : Promise.resolve(undefined);
        return off.then((res) => (session ? session.close() : Promise.resolve())
          .then(() => detach(at))
          .then(() => at.close(), () => at.close())
          .then(() => {
            if (!res) return [] as Term[];
            if (res.unacked.length > 0) throw res.error || new SimedgeError('TIMEOUT');
            return res.terms;
          }));
      },
    };
  };
}
