// The edge daemon's configuration file (JSON or YAML), checked field by field into an EdgeConfig:
// every mistake is CONFIG_INVALID naming the field, before anything starts. Relative paths are
// taken from the config file's directory, so a config and its key and certificate files travel
// together. Modelled on core-validator/src/daemon-config.ts (same rules, same messages).
//
//   id:         this edge's id (topic level: [A-Za-z0-9_.-]{1,64})                  (required)
//   broker:     { url: mqtt://host:1883 | mqtts://host:8883 }                        (required)
//   tls:        { caFile, certFile, keyFile }  the operator CA and this edge's certificate (role
//               edge, simedge pki issue --role edge --id <id>) for mutual TLS; needs mqtts://
//   coreKeys:   [ { kid?, publicKeyFile | publicKey } ]  the core's Ed25519 order-signing key(s):
//               a public JWK file (simedge keys gen writes <name>.pub.json) or 64 hex digits
//   cells:      [ <cell|tai> ]  reported in the status;  capacity: { cpu?, mem? (MB) }
//   host:       where services listen (default 127.0.0.1)
//   stateDir:   crash-safe state (default: `state` beside the config file; never in memory)
//   runtime:    process (default) | oci | kubernetes;  oci: { socketPath? }
//   kubernetes: { kubeconfig?, namespace?, image? } | { podmanKubePlay: true, image? }
//   artefacts:  { dir?, quotaBytes?, maxArtefactBytes?, seedDir?, gcIntervalMs? }  (sizes: bytes
//               or "512 MiB")
//   restart:   { baseMs?, maxMs?, resetAfterMs? }  restart backoff of instances that end on their own
//   process:   { callTimeoutMs?, startTimeoutMs?, graceMs?, healthIntervalMs?, healthFailures?, cgroupRoot?, warm? }
//   sharedGraceMs, metrics: { port }, log: { level: debug|info|warn|error } (else SIMEDGE_LOG_LEVEL)
import { isEdgeId, SimedgeError } from '@simedge/device-sdk/wire';
import { bad, isObj, obj, only, pemFile, port, positive, readConfigFile, str, isKeyPair, readKeyFile, type ConfigObj } from '@simedge/device-sdk/tools';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import type { MqttTls } from '@simedge/device-sdk/node';
import type { KubernetesConfig, OciConfig } from './runtime/configure.js';


export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export interface EdgeConfig {
  id: string;
  broker: { url: string };
  /** Mutual TLS (DESIGN.md Trust): PEM text of the operator CA and the edge's certificate and key. */
  tls?: MqttTls;
  coreKeys: Array<{ kid: string; publicKey: Uint8Array }>;
  cells: string[];
  capacity: { cpu: number; mem: number };
  host: string;
  /** Absolute path; always set: a daemon's state is never in memory. */
  stateDir: string;
  runtime: 'process' | 'oci' | 'kubernetes';
  oci?: OciConfig;
  kubernetes?: KubernetesConfig;
  artefacts: { dir?: string; quotaBytes?: number; maxArtefactBytes?: number; seedDir?: string; gcIntervalMs?: number };
  sharedGraceMs?: number;
  /** Restart backoff of instances that end on their own (EdgeOptions.restart). */
  restart?: { baseMs?: number; maxMs?: number; resetAfterMs?: number };
  /** The process runtime's timing, probes, CPU-limit enforcement and warm standby (EdgeOptions.process). */
  process?: ProcessSettings;
  metrics?: { port: number };
  /** From log.level, else SIMEDGE_LOG_LEVEL, else info. */
  log: { level: Level };
}

/** What of ProcessRuntimeOptions an admin sets in a file (host, scope and edge come from the agent). */
export interface ProcessSettings {
  callTimeoutMs?: number; startTimeoutMs?: number; graceMs?: number; healthIntervalMs?: number; healthFailures?: number;
  cgroupRoot?: string | false; warm?: boolean;
}

type Obj = ConfigObj;

function ms(v: unknown, field: string): number {
  return Number.isInteger(v) && (v as number) >= 0 ? (v as number) : bad(field, 'a whole number of milliseconds >= 0 expected');
}
const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
/** A byte count: a whole number, or a string such as "512 MiB" (binary units, as disks are sold to admins in). */
function bytes(v: unknown, field: string): number {
  if (Number.isSafeInteger(v) && (v as number) > 0) return v as number;
  const m = typeof v === 'string' ? /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(v.trim()) : null;
  const n = m ? Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1) : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : bad(field, 'a positive byte count expected (e.g. 536870912 or "512 MiB")');
}

function readable(v: unknown, field: string, base: string, kind: 'file' | 'directory'): string {
  const path = resolve(base, str(v, field));
  try {
    const st = statSync(path);
    if (kind === 'file' ? !st.isFile() : !st.isDirectory()) return bad(field, `${path} is not a ${kind}`);
    accessSync(path, constants.R_OK);
  } catch (e) {
    if (e instanceof SimedgeError) throw e;
    return bad(field, `cannot read ${path}`);
  }
  return path;
}


/**
 * The edge's certificate must speak for this edge. The simedge PKI writes the identity as a SAN
 * URI `urn:simedge:<role>:<id>` (core-validator/src/pki/identity.ts), and the broker's topic ACL
 * grants topics by it: a core or another edge's certificate would connect and then be refused
 * every topic, which an admin would only see as silence. A certificate from another PKI (no
 * simedge URI) is left to that PKI's broker rules.
 */
function checkEdgeCert(pem: string, id: string, path: string): void {
  let san: string | undefined;
  try {
    san = new X509Certificate(pem).subjectAltName;
  } catch (e) {
    bad('tls.certFile', `${path}: not an X.509 certificate (${(e as Error).message})`);
  }
  const urns = [...(san ?? '').matchAll(/URI:(urn:simedge:[^,\s]+)/g)].map((m) => m[1]);
  if (urns.length > 0 && !urns.includes(`urn:simedge:edge:${id}`)) {
    bad('tls.certFile', `${path} is issued to ${urns.join(', ')}, not urn:simedge:edge:${id} (simedge pki issue --role edge --id ${id})`);
  }
}

/** One trusted core key: a public JWK file, or 64 hex digits with its kid. */
function coreKey(v: unknown, field: string, base: string): { kid: string; publicKey: Uint8Array } {
  const k = obj(v, field);
  only(k, field, ['kid', 'publicKeyFile', 'publicKey']);
  const kid = k.kid === undefined ? undefined : str(k.kid, `${field}.kid`);
  if (kid !== undefined && !/^[\x21-\x7e]{1,64}$/.test(kid)) bad(`${field}.kid`, '1..64 printable ASCII characters without spaces expected');
  if ((k.publicKeyFile === undefined) === (k.publicKey === undefined)) bad(field, 'exactly one of publicKeyFile or publicKey expected');
  if (k.publicKey !== undefined) {
    const hex = str(k.publicKey, `${field}.publicKey`);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) bad(`${field}.publicKey`, 'an Ed25519 public key as 64 hex digits expected');
    return { kid: kid ?? bad(`${field}.kid`, 'required with publicKey'), publicKey: new Uint8Array(Buffer.from(hex, 'hex')) };
  }
  const path = resolve(base, str(k.publicKeyFile, `${field}.publicKeyFile`));
  let jwk;
  try {
    jwk = readKeyFile(path);
  } catch (e) {
    return bad(`${field}.publicKeyFile`, e instanceof Error ? e.message : String(e));
  }
  // The core's private key has no business on a MEC box: refuse it rather than use its public half.
  if (isKeyPair(jwk)) bad(`${field}.publicKeyFile`, `${path} holds a private key; give the edge only the public key file (*.pub.json)`);
  if (kid !== undefined && kid !== jwk.kid) bad(`${field}.kid`, `${kid} does not match the kid ${jwk.kid} in ${path}`);
  return { kid: jwk.kid, publicKey: jwk.publicKey };
}

function isLevel(v: unknown): v is Level {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

/** Check a parsed config object; `base` is the directory relative paths start from. */
export function checkConfig(raw: unknown, base: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const c = obj(raw, 'config');
  only(c, 'config', ['id', 'broker', 'tls', 'coreKeys', 'cells', 'capacity', 'host', 'stateDir', 'runtime', 'oci', 'kubernetes', 'artefacts', 'sharedGraceMs', 'restart', 'process', 'metrics', 'log']);

  const id = str(c.id, 'id');
  if (!isEdgeId(id)) bad('id', 'an edge id expected: 1-64 of A-Z a-z 0-9 _ . -');

  const b = obj(c.broker, 'broker');
  only(b, 'broker', ['url']);
  const url = str(b.url, 'broker.url');
  // The agent connects with connectMqtt (device-sdk/node), which speaks MQTT over TCP or TLS only.
  if (/^wss?:\/\//.test(url)) bad('broker.url', 'the edge agent speaks mqtt:// and mqtts:// only (not MQTT over WebSocket)');
  if (!/^mqtts?:\/\/[^/\s]+/.test(url)) bad('broker.url', 'an mqtt:// or mqtts:// URL expected');
  try {
    new URL(url);
  } catch {
    bad('broker.url', 'not a valid URL');
  }

  let tls: MqttTls | undefined;
  if (c.tls !== undefined) {
    const t = obj(c.tls, 'tls');
    only(t, 'tls', ['caFile', 'certFile', 'keyFile']);
    tls = { ca: pemFile(t.caFile, 'tls.caFile', base, 'cert'), cert: pemFile(t.certFile, 'tls.certFile', base, 'cert'), key: pemFile(t.keyFile, 'tls.keyFile', base, 'key') };
    checkEdgeCert(tls.cert, id, resolve(base, t.certFile as string));
    if (!url.startsWith('mqtts://')) bad('tls', 'needs an mqtts:// broker.url (TLS is not spoken over a plain connection)');
  }

  if (!Array.isArray(c.coreKeys) || c.coreKeys.length === 0) bad('coreKeys', 'a non-empty list of { kid, publicKeyFile | publicKey } expected (the core keys that sign orders)');
  const coreKeys = (c.coreKeys as unknown[]).map((k, i) => coreKey(k, `coreKeys[${i}]`, base));
  coreKeys.forEach((k, i) => {
    if (coreKeys.findIndex((o) => o.kid === k.kid) !== i) bad(`coreKeys[${i}].kid`, `${k.kid} is listed twice`);
  });

  let cells: string[] = [];
  if (c.cells !== undefined) {
    if (!Array.isArray(c.cells)) bad('cells', 'a list of cell or TAI ids expected');
    // YAML reads an all-digit id as a number and drops its leading zeros: refuse rather than guess.
    cells = (c.cells as unknown[]).map((x, i) => (typeof x === 'number' ? bad(`cells[${i}]`, 'a string expected (quote all-digit ids in YAML: "0001")') : str(x, `cells[${i}]`)));
  }

  const capacity = { cpu: 2, mem: 1024 };
  if (c.capacity !== undefined) {
    const cap = obj(c.capacity, 'capacity');
    only(cap, 'capacity', ['cpu', 'mem']);
    if (cap.cpu !== undefined) capacity.cpu = positive(cap.cpu, 'capacity.cpu');
    if (cap.mem !== undefined) capacity.mem = positive(cap.mem, 'capacity.mem');
  }

  const host = c.host === undefined ? '127.0.0.1' : str(c.host, 'host');
  // A daemon must be crash-safe: its state is on disk, beside the config unless told otherwise.
  const stateDir = resolve(base, c.stateDir === undefined ? 'state' : str(c.stateDir, 'stateDir'));

  const runtime = c.runtime === undefined ? 'process' : c.runtime;
  if (runtime !== 'process' && runtime !== 'oci' && runtime !== 'kubernetes') return bad('runtime', 'process, oci or kubernetes expected');

  let oci: OciConfig | undefined;
  if (c.oci !== undefined) {
    // Refused rather than ignored: an `oci:` section under the process runtime is a forgotten `runtime: oci`.
    if (runtime === 'process') bad('oci', 'only used with runtime oci or kubernetes (runtime is process)');
    const o = obj(c.oci, 'oci');
    only(o, 'oci', ['socketPath']);
    oci = o.socketPath === undefined ? {} : { socketPath: resolve(base, str(o.socketPath, 'oci.socketPath')) };
  }

  let kubernetes: KubernetesConfig | undefined;
  if (c.kubernetes !== undefined) {
    if (runtime !== 'kubernetes') bad('kubernetes', `only used with runtime kubernetes (runtime is ${runtime})`);
    const k = obj(c.kubernetes, 'kubernetes');
    const image = k.image === undefined ? undefined : str(k.image, 'kubernetes.image');
    if (k.podmanKubePlay !== undefined) {
      only(k, 'kubernetes', ['podmanKubePlay', 'image']);
      if (k.podmanKubePlay !== true) bad('kubernetes.podmanKubePlay', 'true expected (omit it for a cluster)');
      kubernetes = { podmanKubePlay: true, ...(image !== undefined && { image }) };
    } else {
      only(k, 'kubernetes', ['kubeconfig', 'namespace', 'image']);
      let namespace: string | undefined;
      if (k.namespace !== undefined) {
        namespace = str(k.namespace, 'kubernetes.namespace');
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) bad('kubernetes.namespace', 'a DNS label expected (a-z, 0-9, -; at most 63)');
      }
      kubernetes = {
        ...(k.kubeconfig !== undefined && { kubeconfig: readable(k.kubeconfig, 'kubernetes.kubeconfig', base, 'file') }),
        ...(namespace !== undefined && { namespace }), ...(image !== undefined && { image }),
      };
    }
  }

  const artefacts: EdgeConfig['artefacts'] = {};
  if (c.artefacts !== undefined) {
    const a = obj(c.artefacts, 'artefacts');
    only(a, 'artefacts', ['dir', 'quotaBytes', 'maxArtefactBytes', 'seedDir', 'gcIntervalMs']);
    if (a.dir !== undefined) artefacts.dir = resolve(base, str(a.dir, 'artefacts.dir'));
    if (a.quotaBytes !== undefined) artefacts.quotaBytes = bytes(a.quotaBytes, 'artefacts.quotaBytes');
    if (a.maxArtefactBytes !== undefined) artefacts.maxArtefactBytes = bytes(a.maxArtefactBytes, 'artefacts.maxArtefactBytes');
    // Checked now: a missing seed folder would otherwise fail start() after the broker connection.
    if (a.seedDir !== undefined) artefacts.seedDir = readable(a.seedDir, 'artefacts.seedDir', base, 'directory');
    if (a.gcIntervalMs !== undefined) artefacts.gcIntervalMs = positive(a.gcIntervalMs, 'artefacts.gcIntervalMs');
    const quota = artefacts.quotaBytes ?? 512 * 1024 * 1024;
    if ((artefacts.maxArtefactBytes ?? 0) > quota) bad('artefacts.maxArtefactBytes', `larger than the quota (${quota} bytes): such an artefact could never be cached`);
  }

  let metrics: EdgeConfig['metrics'];
  if (c.metrics !== undefined) {
    const m = obj(c.metrics, 'metrics');
    only(m, 'metrics', ['port']);
    metrics = { port: port(m.port, 'metrics.port') };
  }

  let level: Level = 'info';
  if (c.log !== undefined) {
    const l = obj(c.log, 'log');
    only(l, 'log', ['level']);
    if (l.level !== undefined && !isLevel(l.level)) bad('log.level', `one of ${LEVELS.join(', ')}`);
    if (l.level !== undefined) level = l.level as Level;
  }
  if (c.log === undefined || (c.log as Obj).level === undefined) {
    const e = env.SIMEDGE_LOG_LEVEL;
    if (e !== undefined && e !== '' && !isLevel(e)) bad('SIMEDGE_LOG_LEVEL', `one of ${LEVELS.join(', ')}`);
    if (isLevel(e)) level = e;
  }

  let restart: EdgeConfig['restart'];
  if (c.restart !== undefined) {
    const r = obj(c.restart, 'restart');
    only(r, 'restart', ['baseMs', 'maxMs', 'resetAfterMs']);
    restart = {};
    for (const k of ['baseMs', 'maxMs', 'resetAfterMs'] as const) if (r[k] !== undefined) restart[k] = ms(r[k], `restart.${k}`);
    if (restart.baseMs !== undefined && restart.maxMs !== undefined && restart.maxMs < restart.baseMs) bad('restart.maxMs', 'must not be below restart.baseMs');
  }
  let proc: ProcessSettings | undefined;
  if (c.process !== undefined) {
    const p = obj(c.process, 'process');
    only(p, 'process', ['callTimeoutMs', 'startTimeoutMs', 'graceMs', 'healthIntervalMs', 'healthFailures', 'cgroupRoot', 'warm']);
    proc = {};
    for (const k of ['callTimeoutMs', 'startTimeoutMs', 'graceMs'] as const) if (p[k] !== undefined) proc[k] = positive(ms(p[k], `process.${k}`), `process.${k}`);
    if (p.healthIntervalMs !== undefined) proc.healthIntervalMs = ms(p.healthIntervalMs, 'process.healthIntervalMs'); // 0 turns the probe off
    if (p.healthFailures !== undefined) {
      if (!Number.isInteger(p.healthFailures) || (p.healthFailures as number) < 1) bad('process.healthFailures', 'a whole number >= 1 expected');
      proc.healthFailures = p.healthFailures as number;
    }
    if (p.cgroupRoot !== undefined) proc.cgroupRoot = p.cgroupRoot === false ? false : resolve(base, str(p.cgroupRoot, 'process.cgroupRoot'));
    if (p.warm !== undefined) {
      if (typeof p.warm !== 'boolean') bad('process.warm', 'true or false expected');
      proc.warm = p.warm as boolean;
    }
  }

  return {
    id, broker: { url }, coreKeys, cells, capacity, host, stateDir, runtime, artefacts, log: { level },
    ...(restart && { restart }), ...(proc && { process: proc }),
    ...(tls && { tls }), ...(oci && { oci }), ...(kubernetes && { kubernetes }), ...(metrics && { metrics }),
    ...(c.sharedGraceMs !== undefined && { sharedGraceMs: ms(c.sharedGraceMs, 'sharedGraceMs') }),
  };
}

/** Read and check a config file (.json, else YAML, which is a superset of JSON). */
export function loadEdgeConfig(path: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const { raw, base } = readConfigFile(path);
  return checkConfig(raw, base, env);
}
