// The tracker's logic, runtime-free: an ESP32 + Quectel BG95 asset tracker on Moddable XS
// (board profile hardware/boards/esp32-moddable-bg95.json). main.js (the XS entry) passes in the
// SDK modules, the serial port and the platform (STYLE #2), so the same file runs unchanged in
// Node for the example's test.
//
// What it does: attach (FIG. 2 201-202), the BG95's internal MQTT (QMT) to the operator's broker,
// provision (203-207), then report its position to the template's edge `fn` service at start
// and at every cell change. A tracker moves: a change of cell or of PLMN re-provisions with why
// `roam` (patent claim 2; make-before-break: the core terminates the old provision once the new
// one is ready). stop(): bye → term (208-210), MQTT closed, radio off.
//
// Position = the serving cell (PLMN, TAC, cell id from +CEREG), which needs nothing but the
// modem. BG95 GNSS (AT+QGPS/AT+QGPSLOC) would give coordinates but is not emulated here, so it
// is left out rather than untested.
import type { AtEngine as AtEngineT, AtEngineOptions, AttachInfo, AttachOptions, Dialect, ModemMqttOptions, ModemMqttTransport, Platform, ProvisionClient as ProvisionClientT, ProvisionOptions, Registration } from '@simedge/device-sdk/core';
import type { ByteStream } from '@simedge/device-sdk/core';
import type { DevReady, Term } from '@simedge/device-sdk/wire';

/** The SDK pieces the tracker uses (from `simedge/...` on XS, `@simedge/device-sdk/...` on Node). */
export interface TrackerSdk {
  AtEngine: new (stream: ByteStream, platform: Platform, opts?: AtEngineOptions) => AtEngineT;
  attach(at: AtEngineT, platform: Platform, opts?: AttachOptions): Promise<AttachInfo>;
  detach(at: AtEngineT): Promise<void>;
  readOperator(at: AtEngineT): Promise<string>;
  watchRegistration(at: AtEngineT, fn: (r: Registration) => void): () => void;
  modemMqtt(at: AtEngineT, platform: Platform, dialect: Dialect, opts?: ModemMqttOptions): ModemMqttTransport;
  ProvisionClient: new (o: ProvisionOptions) => ProvisionClientT;
  deviceCodec(): ProvisionOptions['codec'];
}

export interface Position { plmn: string; tac: string; ci: string; roaming: boolean }

export interface TrackerOptions {
  sdk: TrackerSdk;
  serial: ByteStream;
  platform: Platform;
  /** The factory-signed template (COSE_Sign1 bytes). */
  template: Uint8Array;
  /** The operator's broker as the modem's MQTT client sees it. */
  broker: { host: string; port: number };
  dialect?: Dialect;
  apn?: string;
  /**
   * POST JSON to a service endpoint and return the parsed answer. The fn endpoint is HTTP; the
   * BG95's internal MQTT cannot reach it, so this is an IP path of the board's own (Moddable's
   * `http` Request over the ESP32's Wi-Fi). Without it positions are only reported to `on`.
   */
  post?: (url: string, body: unknown) => Promise<unknown>;
  /** Events: attached, ready, position, result, term, error. */
  on?: (kind: string, data: unknown) => void;
}

export interface Tracker {
  /** Resolves with the first ready (rejects when attach or provisioning fails). */
  started: Promise<DevReady>;
  readonly ready: DevReady | undefined;
  stop(): Promise<Term[]>;
}

export function startTracker(o: TrackerOptions): Tracker {
  const sdk = o.sdk;
  const dialect: Dialect = o.dialect ?? 'bg95';
  const at = new sdk.AtEngine(o.serial, o.platform, { maxLine: 9000 }); // room for a 4 KiB hex receive line
  const mqtt = sdk.modemMqtt(at, o.platform, dialect, { backoff: { baseMs: 1000, maxMs: 60000, attempts: 6 } });
  const emit = (kind: string, data: unknown): void => {
    try {
      if (o.on) o.on(kind, data);
    } catch (e) {
      // the firmware's handler failed: the tracker carries on
    }
  };
  let client: ProvisionClientT | undefined;
  let info: AttachInfo | undefined;
  let ready: DevReady | undefined;
  let unwatch: (() => void) | undefined;
  let stopping = false;
  let chain: Promise<void> = Promise.resolve(); // cell changes are handled one after the other

  const report = (r: DevReady, p: Position): Promise<void> => {
    emit('position', p);
    const fn = r.svc.filter((s) => s.n === 'fn')[0];
    if (!fn || !o.post) return Promise.resolve();
    return o.post(fn.ep, { plmn: p.plmn, tac: p.tac, ci: p.ci, roaming: p.roaming, at: o.platform.now() })
      .then((res) => emit('result', res), (e: unknown) => emit('error', e));
  };

  const onCell = (reg: Registration): void => {
    if (stopping || !ready || !info || !(reg.stat === 1 || reg.stat === 5)) return;
    if (reg.ci === info.ci && reg.roaming === info.roaming) return;
    chain = chain.then(() => sdk.readOperator(at)).then((plmn) => {
      const old = info as AttachInfo;
      if (stopping) return undefined;
      info = { imsi: old.imsi, iccid: old.iccid, plmn, cell: reg.ci, tac: reg.tac, ci: reg.ci, roaming: reg.roaming };
      return (client as ProvisionClientT).provision(info, 'roam', o.template).then((r) => {
        ready = r;
        emit('ready', r);
        return report(r, { plmn, tac: reg.tac, ci: reg.ci, roaming: reg.roaming });
      });
    }).then(undefined, (e: unknown) => emit('error', e));
  };

  const started = sdk.attach(at, o.platform, { dialect, apn: o.apn })
    .then((i) => {
      info = i;
      emit('attached', i);
      return mqtt.connect(o.broker.host, o.broker.port, i.imsi);
    })
    .then(() => {
      const i = info as AttachInfo;
      client = new sdk.ProvisionClient({ imsi: i.imsi, codec: sdk.deviceCodec(), transport: mqtt, platform: o.platform, onTerm: (t) => emit('term', t) });
      return client.provision(i, 'on', o.template);
    })
    .then((r) => {
      ready = r;
      emit('ready', r);
      unwatch = sdk.watchRegistration(at, onCell);
      const i = info as AttachInfo;
      chain = report(r, { plmn: i.plmn, tac: i.tac, ci: i.ci, roaming: i.roaming });
      return r;
    });
  started.then(undefined, (e: unknown) => emit('error', e));

  return {
    started,
    get ready() {
      return ready;
    },
    stop() {
      stopping = true;
      if (unwatch) unwatch();
      const down = (): Promise<void> => {
        if (client) client.close();
        return mqtt.close().then(() => sdk.detach(at)).then(() => at.close(), () => at.close());
      };
      return chain.then(() => (client ? client.bye('off') : Promise.resolve([] as Term[])))
        .then((terms) => down().then(() => terms), (e: unknown) => down().then(() => { throw e; }));
    },
  };
}
