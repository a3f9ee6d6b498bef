// A whole device on Node: modem (AT over a ByteStream) + MQTT to the core + the provisioning
// state machine, driving FIG. 2 from the device's side: powerOn (201-207), use (207), roaming with
// make-before-break re-provisioning (patent claim 2), switchOff (208-210). MQTT goes over IP
// (MQTT.js, e.g. over the modem's PPP/ECM link) or through the modem's own MQTT client over AT
// (`transport: 'modem'`, the dialect's QMT/CMQTT/SM/UMQTT driver).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AtEngine, type AtTrace } from '../../core/at/engine.js';
import { isRegistered, type Registration } from '../../core/cereg.js';
import { budgetDriver, connectCost, DataBudget, isDataBudget, subscribeCost, type BudgetOptions } from '../../core/budget.js';
import { iotSafeProver, type IotSafeOptions } from '../../core/iotsafe.js';
import { dialectInfo, isRoaming, type Dialect } from '../../core/lifecycle.js';
import { attach, detach, readOperator, watchRegistration, type AttachInfo } from '../../core/modem.js';
import type { Platform } from '../../core/platform.js';
import { Provisioner, type RetryInfo, type SwitchOffResult } from '../../core/provisioner.js';
import type { ProvisionTransport } from '../../core/provision.js';
import type { ByteStream } from '../../core/stream.js';
import type { BackoffOptions } from '../../core/transport/backoff.js';
import { MqttSession, mqttDriver, type ModemMqttOptions } from '../../core/transport/index.js';
import type { ModemMqttTransport } from '../../core/transport/types.js';
import { SimedgeError } from '../../wire/codes.js';
import type { DevReady, Reason, Term } from '../../wire/messages.js';
import { topics } from '../../wire/topics.js';
import type { Step, TraceSink } from '../../wire/trace.js';
import { connectMqtt, endMqtt, type MqttClient, type MqttTls } from './mqtt.js';
import { nodePlatform } from './platform.js';
import { mqttTransport, wireCodec, type MqttTransport } from './transport.js';

export interface NodeDeviceOptions {
  stream: ByteStream;
  brokerUrl: string;
  /** The factory-signed resource template (COSE_Sign1 bytes). */
  template: Uint8Array;
  trace?: TraceSink;
  pin?: string;
  apn?: string;
  /** Deadline for each wait (chal, acc, ready, term, MQTT connect, service call); default 10 s (ready 30 s). */
  timeoutMs?: number;
  registerTimeoutMs?: number;
  /** Line trace of the AT link (debugging). */
  atTrace?: AtTrace;
  platform?: Platform;
  /** Modem family (ICCID command; see core/lifecycle.ts); default generic 27.007. */
  dialect?: Dialect;
  /** Roaming also when the serving PLMN is not the SIM's home PLMN (IMSI + EF_AD), not only stat 5. */
  homePlmn?: boolean;
  /** Prove the SIM with its IoT SAFE applet (AT+CSIM) in every prov; options pick the key. */
  iotSafe?: boolean | IotSafeOptions;
  /**
   * How MQTT reaches the broker: 'ip' (default) = MQTT.js over the host's IP link (the modem's
   * PPP/ECM); 'modem' = the modem's internal MQTT client over AT (needs a dialect that has one:
   * bg95, bg96, sim7600, sim7080, sara-r4, sara-r5), to brokerUrl's host and port.
   */
  transport?: 'ip' | 'modem';
  /** Mutual TLS to an `mqtts://` broker (transport 'ip' only): the operator CA and this device's
   *  certificate and key (role device, id = its IMSI), all PEM. The broker's topic ACL then lets
   *  the device publish only under its own IMSI. */
  tls?: MqttTls;
  /** Options of the modem-internal MQTT session (reconnect backoff, keep-alive, timeouts). */
  modemMqtt?: ModemMqttOptions;
  /** Retry temporary provisioning failures with jittered backoff (default: no retries). */
  retry?: BackoffOptions;
  /**
   * Per-device data budget of the provisioning traffic and its MQTT link (default: none); kept
   * across power cycles (core/budget.ts).
   */
  budget?: BudgetOptions | DataBudget;
  /** Deadline for the terms after bye at switch-off (default: timeoutMs). */
  byeTimeoutMs?: number;
}

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** Host and port of an mqtt:// broker URL (the modem's MQTT client is given them over AT);
 *  `secure` also admits mqtts:// (MQTT.js over IP does TLS; the modem path here does not). */
function brokerAddress(url: string, secure = false): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`NodeDevice: brokerUrl is not a URL: ${String(url)}`);
  }
  if (u.protocol !== 'mqtt:' && !(secure && u.protocol === 'mqtts:')) {
    throw new TypeError(`NodeDevice: brokerUrl must be mqtt://host:port${secure ? ' or mqtts://host:port' : ''}, got ${u.protocol}`);
  }
  // An IPv6 literal keeps its brackets in URL.hostname; modems take it bare.
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 1883)) };
}

export interface NodeDeviceEvents {
  attached: [AttachInfo];
  ready: [DevReady];
  /** New endpoints for the live provision (its edge restarted a service on another port). */
  updated: [DevReady];
  term: [Term];
  roamed: [AttachInfo];
  retry: [RetryInfo];
  error: [SimedgeError];
}

export class NodeDevice extends EventEmitter<NodeDeviceEvents> {
  private readonly opts: NodeDeviceOptions;
  private readonly platform: Platform;
  private readonly at: AtEngine;
  private simImsi: string | undefined;
  private info: AttachInfo | undefined;
  private current: DevReady | undefined;
  private client: MqttClient | undefined;
  private transport: MqttTransport | undefined;
  private modemLink: ModemMqttTransport | undefined;
  private prov: Provisioner | undefined;
  /** One meter for the device's life: powering off and on must not reset the day's count. */
  private readonly meter: DataBudget | undefined;
  private unwatch: (() => void) | undefined;
  /** Roams are handled one after the other. */
  private roaming: Promise<void> = Promise.resolve();
  private phase: 'off' | 'starting' | 'on' | 'stopping' = 'off';

  constructor(opts: NodeDeviceOptions) {
    super();
    if (!(opts.template instanceof Uint8Array) || opts.template.length === 0) throw new TypeError('NodeDevice: template must be COSE bytes');
    if (opts.transport !== undefined && opts.transport !== 'ip' && opts.transport !== 'modem') throw new TypeError("NodeDevice: transport is 'ip' or 'modem'");
    if (opts.transport === 'modem' && !dialectInfo(opts.dialect).mqtt) {
      throw new TypeError(`NodeDevice: transport 'modem' needs a dialect with internal MQTT, not ${opts.dialect ?? 'generic'}`);
    }
    if (opts.tls !== undefined && opts.transport === 'modem') throw new TypeError("NodeDevice: tls needs transport 'ip' (the modem's MQTT client is driven without TLS here)");
    brokerAddress(opts.brokerUrl, opts.transport !== 'modem'); // TypeError now for a URL we cannot use
    this.opts = opts;
    this.platform = opts.platform ?? nodePlatform;
    this.meter = opts.budget === undefined || isDataBudget(opts.budget) ? opts.budget : new DataBudget(this.platform, opts.budget);
    this.at = new AtEngine(opts.stream, this.platform, { trace: opts.atTrace });
  }

  get imsi(): string | undefined {
    return this.simImsi;
  }
  get ready(): DevReady | undefined {
    return this.current;
  }
  get attachInfo(): AttachInfo | undefined {
    return this.info;
  }
  /** The data budget in use (bytes used today), when one was configured. */
  get budget(): DataBudget | undefined {
    return this.meter;
  }

  /** Attach, connect to the broker as the IMSI, provision; resolves with the ready services. */
  async powerOn(why: Extract<Reason, 'on' | 'reset'> = 'on'): Promise<DevReady> {
    if (this.phase !== 'off') throw new TypeError(`NodeDevice.powerOn: device is ${this.phase}`);
    this.phase = 'starting';
    try {
      const info = await attach(this.at, this.platform, {
        pin: this.opts.pin, apn: this.opts.apn, registerTimeoutMs: this.opts.registerTimeoutMs,
        dialect: this.opts.dialect, homePlmn: this.opts.homePlmn,
        onSim: (imsi) => {
          this.simImsi = imsi;
          this.trace(201, 'cfun', 'radio on, SIM ready');
        },
      });
      this.info = info;
      this.trace(202, 'attached', `plmn=${info.plmn} cell=${info.cell} ${info.roaming ? 'roaming' : 'home'}`);
      this.emit('attached', info);

      const timeoutMs = this.opts.timeoutMs ?? 10_000;
      const transport = await this.connect(info.imsi, timeoutMs);
      this.prov = new Provisioner({
        imsi: info.imsi, codec: wireCodec, transport, platform: this.platform,
        timeoutMs, readyTimeoutMs: this.opts.timeoutMs ?? 30_000, trace: this.opts.trace,
        onTerm: (t) => this.emit('term', t),
        onUpdate: (r) => {
          if (this.current && this.current.pid === r.pid) this.current = r;
          this.emit('updated', r);
        },
        prove: this.opts.iotSafe
          ? iotSafeProver(this.at, sha256, info.imsi, typeof this.opts.iotSafe === 'object' ? this.opts.iotSafe : undefined)
          : undefined,
        // Without a retry option nothing is retried (the behaviour before retries existed).
        retry: this.opts.retry ?? { attempts: 0 },
        budget: this.meter,
        byeTimeoutMs: this.opts.byeTimeoutMs,
        onRetry: (r) => this.emit('retry', r),
      });
      const ready = await this.prov.provision(info, why, this.opts.template);
      this.current = ready;
      this.unwatch = watchRegistration(this.at, (r) => this.onRegistration(r));
      this.phase = 'on';
      this.emit('ready', ready);
      return ready;
    } catch (e) {
      await this.disconnect();
      this.phase = 'off';
      throw e;
    }
  }

  /** Call a ready service over HTTP: POST JSON, answer parsed from JSON. */
  async use(service: string, input: unknown): Promise<unknown> {
    const ready = this.current;
    if (!ready) throw new SimedgeError('SERVICE_ERROR', 'device has no ready provision');
    const ep = ready.svc.find((s) => s.n === service);
    if (!ep) throw new SimedgeError('SERVICE_ERROR', `no endpoint for service ${service}`);
    if (!/^https?:\/\//.test(ep.ep)) throw new SimedgeError('SERVICE_ERROR', `endpoint of ${service} is not HTTP: ${ep.ep}`);
    this.trace(207, 'use', service);
    let res: Response;
    try {
      res = await fetch(ep.ep, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input === undefined ? null : input),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError') throw new SimedgeError('TIMEOUT', `${service}: no answer`);
      throw new SimedgeError('SERVICE_ERROR', `${service} unreachable: ${err.message}`);
    }
    const text = await res.text();
    // Any 2xx is success (a 204 has no body); everything else is the service's error.
    if (res.status < 200 || res.status > 299) throw new SimedgeError('SERVICE_ERROR', `${res.status} ${text.slice(0, 200)}`);
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SimedgeError('SERVICE_ERROR', `${res.status} answer is not JSON: ${text.slice(0, 100)}`);
    }
  }

  /**
   * bye (208), wait for term of every live provision (210), MQTT closed, radio off; resolves with
   * the terms. When a term does not come in time it still detaches, then rejects with TIMEOUT
   * naming the pids (powerOff() reports the same without rejecting).
   */
  async switchOff(): Promise<Term[]> {
    const r = await this.powerOff();
    if (r.unacked.length > 0) throw r.error instanceof SimedgeError ? r.error : new SimedgeError('TIMEOUT', `no term for ${r.unacked.join(',')}`);
    return r.terms;
  }

  /**
   * Graceful switch-off: bye, wait up to byeTimeoutMs for the terms, then close MQTT and detach
   * regardless. Never rejects for the core's silence: `unacked` lists the pids without a term.
   */
  async powerOff(why: 'off' | 'leave' = 'off'): Promise<SwitchOffResult> {
    if (this.phase !== 'on') throw new TypeError(`NodeDevice.powerOff: device is ${this.phase}`);
    this.phase = 'stopping';
    this.stopWatching();
    await this.roaming; // never rejects (errors are reported as 'error')
    try {
      return await (this.prov as Provisioner).switchOff(why);
    } finally {
      this.current = undefined;
      try {
        await this.disconnect(); // before the radio goes: the MQTT DISCONNECT still gets out
      } finally {
        try {
          await detach(this.at);
          this.trace(208, 'detached', 'radio off');
        } finally {
          this.phase = 'off';
        }
      }
    }
  }

  /** Drop everything at once (tests, process exit): no bye, MQTT forced closed, modem link closed. */
  close(): void {
    this.stopWatching();
    this.prov?.close();
    this.transport?.detach();
    if (this.client) this.client.end(true);
    this.client = undefined;
    void this.modemLink?.close(); // its AT commands fail at once: the engine closes below
    this.modemLink = undefined;
    this.prov = undefined;
    this.current = undefined;
    this.at.close();
    this.phase = 'off';
  }

  private onRegistration(r: Registration): void {
    if (this.phase !== 'on' || !isRegistered(r)) return; // out of coverage: wait for the next registration
    const old = this.info as AttachInfo;
    if (r.ci === old.ci && r.roaming === old.roaming) return;
    this.roaming = this.roaming.then(() => this.roam(r)).catch((e: unknown) => this.fail(e));
  }

  /** Re-provision for the new cell (why 'roam'); the core terminates the old pid afterwards. */
  private async roam(r: Registration): Promise<void> {
    if (this.phase !== 'on' || !this.prov) return;
    const plmn = await readOperator(this.at);
    const old = this.info as AttachInfo;
    // Patent claim 2: with homePlmn, a visited PLMN is roaming even when the network says stat 1.
    const roaming = this.opts.homePlmn ? isRoaming(r.stat, plmn, old.imsi, old.home) : r.roaming;
    if (r.ci === old.ci && roaming === old.roaming && plmn === old.plmn) return;
    const info: AttachInfo = { imsi: old.imsi, iccid: old.iccid, plmn, cell: r.ci, tac: r.tac, ci: r.ci, roaming };
    if (old.home) info.home = old.home;
    this.info = info;
    this.trace(202, 'roamed', `plmn=${plmn} cell=${info.cell} ${info.roaming ? 'roaming' : 'home'}`);
    this.emit('roamed', info);
    const ready = await this.prov.provision(info, 'roam', this.opts.template);
    if (this.phase !== 'on') return;
    this.current = ready;
    this.emit('ready', ready);
  }

  private fail(e: unknown): void {
    const err = e instanceof SimedgeError ? e : new SimedgeError('TRANSPORT', String(e));
    this.trace(undefined, 'error', err.message);
    // An 'error' event without a listener would throw out of a promise chain: only emit if heard.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private stopWatching(): void {
    if (this.unwatch) this.unwatch();
    this.unwatch = undefined;
  }

  /**
   * MQTT to the broker, over IP or through the modem; the provisioning transport. With a budget
   * the link is metered (core/budget.ts): CONNECT + CONNACK taken before it opens, keep-alive
   * pings charged while it is up.
   */
  private async connect(imsi: string, timeoutMs: number): Promise<ProvisionTransport> {
    const meter = this.meter;
    if (this.opts.transport === 'modem') {
      const mo = this.opts.modemMqtt;
      const driver = mqttDriver(this.at, this.platform, this.opts.dialect as Dialect, mo);
      const link = new MqttSession(meter ? budgetDriver(driver, meter, mo?.keepAliveS ?? 60) : driver, this.platform, mo);
      this.modemLink = link;
      link.onFail((e) => this.fail(e));
      const { host, port } = brokerAddress(this.opts.brokerUrl);
      await link.connect(host, port, imsi);
      return link;
    }
    const cost = meter ? connectCost(imsi.length, meter.ip) : 0;
    if (meter && !meter.take(cost)) throw new SimedgeError('BUDGET_EXCEEDED', `connect needs ${cost} B, used ${meter.used()} of ${meter.limit} B today`);
    const client = await connectMqtt(this.opts.brokerUrl, { clientId: imsi, clean: true, connectTimeoutMs: timeoutMs, ...this.opts.tls }).catch((e: Error) => {
      throw new SimedgeError('TRANSPORT', e.message);
    });
    this.client = client;
    if (meter) {
      // MQTT.js reconnects and re-subscribes by itself: those bytes are counted, not refused.
      const ka = client.options.keepalive ?? 60;
      meter.linked(ka);
      client.on('connect', () => {
        meter.add(cost + subscribeCost(topics.deviceDown(imsi).length, meter.ip));
        meter.linked(ka);
      });
      client.on('close', () => meter.linked(0));
    }
    this.transport = mqttTransport(client);
    return this.transport;
  }

  private async disconnect(): Promise<void> {
    this.prov?.close();
    this.prov = undefined;
    this.transport?.detach();
    this.transport = undefined;
    const c = this.client;
    this.client = undefined;
    if (c && c.connected && this.meter) this.meter.add(2 + this.meter.ip); // DISCONNECT [MQTT-3.14]
    if (c) await endMqtt(c);
    const link = this.modemLink;
    this.modemLink = undefined;
    if (link) await link.close();
  }

  private trace(step: Step | undefined, ev: string, detail?: string): void {
    const sink = this.opts.trace;
    if (!sink) return;
    const imsi = this.simImsi ?? 'unknown';
    try {
      sink({ at: this.platform.now(), ...(step ? { step } : {}), actor: `device:${imsi}`, imsi, ev, ...(detail ? { detail } : {}) });
    } catch {
      // A failing trace sink must not break the device.
    }
  }
}
