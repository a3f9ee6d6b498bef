// The network in a box: one embedded broker, one core validator, two edge agents, a simulated
// radio network and N emulated devices (modem + SIM + device SDK), all in one process on embedded
// defaults. Used by the demo (main.ts) and by the end-to-end tests.
// `security: 'tls'` runs the same network over mutual TLS with topic ACLs by configuration alone
// (DESIGN.md Trust): an operator CA made in memory, a certificate per broker, core, edge and device.
import { CoreValidator, startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator';
import { EdgeAgent } from '@simedge/edge-agent';
import { ModemEmulator, NetworkSim, duplexPair, exportAccounting, type AccountingExport, type CellInfo } from '@simedge/hardware';
import { randomBytes } from 'node:crypto';
import { NodeDevice, type MqttTls } from '@simedge/device-sdk/node';
import { createCa, issueCert, type CertAndKey, type Role } from '@simedge/core-validator/pki';
import { encodeCbor, generateKeyPair, sign1, utf8Encode, type Template, type TraceSink } from '@simedge/device-sdk/wire';

/** The demo's radio network: home PLMN 240-01 with cells on both edges, and a visited PLMN 244-05. */
export const CELLS: CellInfo[] = [
  { id: '01A2D101', plmn: '24001', tac: '0A01', ci: '01A2D101' },
  { id: '01A2D102', plmn: '24001', tac: '0A01', ci: '01A2D102' },
  { id: '01B3E201', plmn: '24001', tac: '0B02', ci: '01B3E201' },
  { id: '02C4F301', plmn: '24405', tac: '0C03', ci: '02C4F301' },
];

/** Which edge serves which cell (the core's placement table). */
export const EDGES: Record<string, string[]> = {
  'edge-a': ['01A2D101', '01A2D102'],
  'edge-b': ['01B3E201', '02C4F301'],
};

/** The user function every demo thermometer ships in its template: a running average with an alert. */
export const THERMO_FN = `function handle(input, state) {
  state.n = (state.n || 0) + 1;
  state.sum = (state.sum || 0) + input.celsius;
  return { n: state.n, avg: Math.round((state.sum / state.n) * 100) / 100, alert: input.celsius > 30 };
}
`;

export interface DeviceSpec {
  imsi: string;
  iccid: string;
  cell: string;
  /** Template to send (COSE bytes), or a function making it once the world's keys exist;
   *  default: a valid template signed by the demo manufacturer. */
  template?: Uint8Array | ((w: Pick<World, 'signTemplate' | 'template' | 'mfr'>) => Uint8Array);
  /** Register the IMSI with the core (default true). */
  known?: boolean;
  /** Let the network report this IMSI's attach to the core (default true). */
  reportAttach?: boolean;
}

export interface World {
  broker: EmbeddedBroker;
  core: CoreValidator;
  edges: Map<string, EdgeAgent>;
  network: NetworkSim;
  /** The simulator's RADIUS accounting export, with the 'radius' intake. */
  accounting: AccountingExport | undefined;
  devices: Array<{ spec: DeviceSpec; modem: ModemEmulator; device: NodeDevice }>;
  mfr: { kid: string; seed: Uint8Array; publicKey: Uint8Array };
  /** The in-memory operator PKI when `security` is 'tls': its CA, and a way to issue more client
   *  credentials (tests: a second client for a device, an intruder). */
  pki: { ca: CertAndKey; issue(role: Role, id: string): MqttTls } | undefined;
  /** Sign a template with the demo manufacturer key (or another seed). */
  signTemplate(t: Template, seed?: Uint8Array, kid?: string): Uint8Array;
  /** A valid template for the demo's device class, overridable field by field. */
  template(over?: Partial<Template>): Template;
  stop(): Promise<void>;
}

export function demoDevices(n: number): DeviceSpec[] {
  const homeCells = CELLS.filter((c) => c.plmn === '24001').map((c) => c.id);
  const out: DeviceSpec[] = [];
  for (let i = 0; i < n; i++) {
    const serial = String(i + 1).padStart(6, '0');
    out.push({ imsi: `240011234${serial}`, iccid: `8946011234${serial}0`, cell: homeCells[i % homeCells.length] as string });
  }
  return out;
}

export interface WorldOptions {
  devices: DeviceSpec[];
  trace?: TraceSink;
  /** Operation deadline in the core (ms). */
  opTimeoutMs?: number;
  /** How the core learns of attaches: RADIUS accounting over UDP from the network simulator, as
   *  a real PGW/SMF would send it (default), or direct calls (no UDP at all). */
  intake?: 'radius' | 'direct';
  now?: () => number;
  /** 'tls': mutual TLS between every MQTT client and the broker, and the broker's topic ACL, with
   *  certificates issued in memory (RSA-2048, ~50-250 ms each). Default 'none': plain MQTT. */
  security?: 'none' | 'tls';
}

/** An operator CA and the issuer of client credentials the world hands to its parts. */
function memoryPki(): NonNullable<World['pki']> {
  const ca = createCa({ cn: 'network-in-a-box CA' });
  return {
    ca,
    issue(role, id) {
      const c = issueCert(ca, { role, id });
      return { ca: ca.certPem, cert: c.certPem, key: c.keyPem };
    },
  };
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  const trace = opts.trace;
  const pki = opts.security === 'tls' ? memoryPki() : undefined;
  let broker: EmbeddedBroker;
  if (pki) {
    // The broker's certificate names 127.0.0.1, the address clients check it against.
    const b = issueCert(pki.ca, { role: 'broker', id: 'box', ips: ['127.0.0.1'] });
    broker = await startEmbeddedBroker({ tls: { ca: pki.ca.certPem, cert: b.certPem, key: b.keyPem }, acl: true });
  } else {
    broker = await startEmbeddedBroker();
  }
  const tlsFor = (role: Role, id: string): { tls?: MqttTls } => (pki ? { tls: pki.issue(role, id) } : {});
  const stops: Array<() => Promise<void>> = [() => broker.close()];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const coreKey = generateKeyPair();
    const mfrKey = generateKeyPair();
    const mfr = { kid: 'acme-2026', seed: mfrKey.seed, publicKey: mfrKey.publicKey };
    const now = opts.now ?? Date.now;

    const intake = opts.intake ?? 'radius';
    const radiusSecret = randomBytes(16).toString('hex');
    const core = new CoreValidator({
      brokerUrl: broker.url, coreKey: { kid: 'core-1', seed: coreKey.seed }, trace, now, opTimeoutMs: opts.opTimeoutMs, ...tlsFor('core', 'core-1'),
      ...(intake === 'radius' ? { radius: { secret: radiusSecret, host: '127.0.0.1', port: 0 } } : {}),
    });
    await core.store.addTrustKey({ kid: mfr.kid, publicKey: mfr.publicKey, mfr: 'acme' });
    for (const [edge, cells] of Object.entries(EDGES)) for (const cell of cells) await core.store.setCellEdge(cell, edge);
    for (const d of opts.devices) if (d.known !== false) await core.store.addSubscriber({ imsi: d.imsi, iccid: d.iccid });
    await core.start();
    stops.push(() => core.stop());

    const edges = new Map<string, EdgeAgent>();
    for (const [id, cells] of Object.entries(EDGES)) {
      const edge = new EdgeAgent({ id, brokerUrl: broker.url, coreKeys: [{ kid: 'core-1', publicKey: coreKey.publicKey }], cells, trace, now, ...tlsFor('edge', id) });
      await edge.start();
      stops.push(() => edge.stop());
      edges.set(id, edge);
    }

    const network = new NetworkSim({ cells: CELLS, trace, now });
    const silent = new Set(opts.devices.filter((d) => d.reportAttach === false).map((d) => d.imsi));
    let accounting: AccountingExport | undefined;
    if (intake === 'radius') {
      // The simulator reports sessions as RADIUS Accounting-Start/Interim/Stop; the modem confirms
      // registration only once the core has answered, as a real network opens the data path only
      // after the session exists.
      const exporter = exportAccounting(network, { host: '127.0.0.1', port: core.radiusPort as number, secret: radiusSecret, only: (imsi) => !silent.has(imsi) });
      network.addAttachGate((ev) => exporter.reported(ev.imsi));
      stops.push(() => exporter.close());
      accounting = exporter;
    } else {
      network.on('attach', (ev) => { if (!silent.has(ev.imsi)) core.attach(ev); });
      network.on('detach', (ev) => { if (!silent.has(ev.imsi)) core.detach(ev); });
    }

    const template = (over: Partial<Template> = {}): Template => {
      const t = Math.floor(now() / 1000);
      return {
        v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: t - 60, exp: t + 365 * 86400,
        svc: [{ n: 'fn', share: 'device', art: utf8Encode(THERMO_FN), res: { mem: 16 } }],
        ...over,
      };
    };
    const signTemplate = (t: Template, seed = mfr.seed, kid = mfr.kid) => sign1(encodeCbor(t), kid, seed);

    const devices: World['devices'] = [];
    for (const spec of opts.devices) {
      const [modemSide, deviceSide] = duplexPair();
      const modem = new ModemEmulator({ sim: { imsi: spec.imsi, iccid: spec.iccid }, network, cell: spec.cell, trace });
      modem.connect(modemSide);
      const tpl = typeof spec.template === 'function' ? spec.template({ signTemplate, template, mfr }) : spec.template ?? signTemplate(template());
      const device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: tpl, trace, ...tlsFor('device', spec.imsi) });
      stops.push(async () => { device.close(); modem.close(); });
      devices.push({ spec, modem, device });
    }
    return { broker, core, edges, network, accounting, devices, mfr, pki, signTemplate, template, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
