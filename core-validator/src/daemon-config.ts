// The core daemon's configuration file (JSON or YAML), checked field by field into a CoreConfig:
// every mistake is CONFIG_INVALID naming the field, before anything starts. Relative paths are
// taken from the config file's directory, so a config and its key file travel together.
//
//   broker:    { url: mqtt://host:1883 }  or  { embedded: { host?, port?, tls?: { certFile, keyFile } } }
//              (default: embedded, ephemeral port). Embedded with `tls`: mutual TLS with the broker's
//              certificate (simedge pki issue broker …), clients must present operator-CA certificates,
//              and the topic ACL is on; needs `tls` below for the CA and the core's own certificate.
//   tls:       { caFile, certFile, keyFile }  the operator CA and this core's client certificate
//              (role core) for mutual TLS to an mqtts:// broker                           (optional)
//   database:  sqlite path, sqlite:<path>, sqlite::memory: or postgres://…  (default sqlite::memory:)
//   coreKeyFile: the core's private Ed25519 JWK (simedge keys gen)            (required)
//   radius:    { secret | secretFile, port?, host? }                          (optional)
//   admin:     { token | tokenFile, port?, host? }  (token also from SIMEDGE_ADMIN_TOKEN; default port 8620)
//   placement: { cells: { <cell|tai>: <edge> }, costs: [ { loc, edge, cost } ] }
//   policy:    PolicyOptions (policy.ts);  plans: { <name>: Plan } for the CSV import's plan column
//   log:       { level: debug|info|warn|error }  (else SIMEDGE_LOG_LEVEL, else info)
//   opTimeoutMs, nonceTtlSec, orderTtlSec, retentionSec, attestation ('off' | 'network', needs the embedded broker)
//   retry: { baseMs?, maxMs? } order re-send backoff (ms);
//   shared:    true | <group>: scale-out behind MQTT 5 shared subscriptions (needs broker.url and postgres://);  leaseMs
import { isEdgeId, SimedgeError } from '@simedge/device-sdk/wire';
import { bad, obj, only, pemFile, port, positive, readConfigFile, str, type ConfigObj } from '@simedge/device-sdk/tools';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isLevel, LEVELS, type Level } from './log.js';
import { retrySettings } from './backoff.js';
import { checkPlan, makePolicy, type PolicyOptions } from './policy.js';
import type { Plan } from './store/types.js';

export const DEFAULT_ADMIN_PORT = 8620;

/** PEM text read from the files a config names. */
export interface TlsFiles { ca: string; cert: string; key: string }

export interface CoreConfig {
  broker: { url: string } | { embedded: { host?: string; port?: number; tls?: { cert: string; key: string } } };
  /** Mutual TLS (DESIGN.md Trust): the operator CA and the core's client certificate and key. */
  tls?: TlsFiles;
  database: string;
  coreKeyFile: string;
  radius?: { secret: string; port?: number; host?: string };
  admin: { token: string; port: number; host: string };
  placement: { cells: Record<string, string>; costs: { loc: string; edge: string; cost: number }[] };
  policy?: PolicyOptions;
  plans: Record<string, Plan>;
  log?: { level?: Level };
  opTimeoutMs?: number;
  nonceTtlSec?: number;
  orderTtlSec?: number;
  retentionSec?: number;
  attestation?: 'off' | 'network';
  /** Scale-out group (CoreOptions.shared). */
  shared?: boolean | string;
  leaseMs?: number;
  /** Order re-send backoff (backoff.ts): first delay and cap, ms. */
  retry?: { baseMs?: number; maxMs?: number };
}

type Obj = ConfigObj;

/** A secret given inline or as a file (trailing newline dropped); the file wins over nothing else. */
function secret(o: Obj, field: string, base: string, key: string): string | undefined {
  if (o[key] !== undefined) return str(o[key], `${field}.${key}`);
  const f = o[`${key}File`];
  if (f === undefined) return undefined;
  const path = resolve(base, str(f, `${field}.${key}File`));
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch {
    return bad(`${field}.${key}File`, `cannot read ${path}`);
  }
}


/** Check a parsed config object; `base` is the directory relative paths start from. */
export function checkConfig(raw: unknown, base: string, env: NodeJS.ProcessEnv = process.env): CoreConfig {
  const c = obj(raw, 'config');
  only(c, 'config', ['broker', 'tls', 'database', 'coreKeyFile', 'radius', 'admin', 'placement', 'policy', 'plans', 'log', 'opTimeoutMs', 'nonceTtlSec', 'orderTtlSec', 'retentionSec', 'attestation', 'shared', 'leaseMs', 'retry']);

  let broker: CoreConfig['broker'] = { embedded: {} };
  if (c.broker !== undefined) {
    const b = obj(c.broker, 'broker');
    only(b, 'broker', ['url', 'embedded']);
    if (b.url !== undefined) {
      const url = str(b.url, 'broker.url');
      // What connectMqtt speaks (TCP with TCP_NODELAY, TLS over it); WebSocket is not supported.
      if (!/^mqtts?:\/\//.test(url)) bad('broker.url', 'an mqtt:// or mqtts:// URL expected');
      broker = { url };
    } else {
      const e = b.embedded === undefined ? {} : obj(b.embedded, 'broker.embedded');
      only(e, 'broker.embedded', ['host', 'port', 'tls']);
      let tls: { cert: string; key: string } | undefined;
      if (e.tls !== undefined) {
        const t = obj(e.tls, 'broker.embedded.tls');
        only(t, 'broker.embedded.tls', ['certFile', 'keyFile']);
        tls = { cert: pemFile(t.certFile, 'broker.embedded.tls.certFile', base, 'cert'), key: pemFile(t.keyFile, 'broker.embedded.tls.keyFile', base, 'key') };
      }
      broker = { embedded: {
        ...(e.host !== undefined && { host: str(e.host, 'broker.embedded.host') }), ...(e.port !== undefined && { port: port(e.port, 'broker.embedded.port') }), ...(tls && { tls }),
      } };
    }
  }

  let tls: TlsFiles | undefined;
  if (c.tls !== undefined) {
    const t = obj(c.tls, 'tls');
    only(t, 'tls', ['caFile', 'certFile', 'keyFile']);
    tls = { ca: pemFile(t.caFile, 'tls.caFile', base, 'cert'), cert: pemFile(t.certFile, 'tls.certFile', base, 'cert'), key: pemFile(t.keyFile, 'tls.keyFile', base, 'key') };
    if ('url' in broker && !broker.url.startsWith('mqtts://')) bad('tls', 'needs an mqtts:// broker.url (TLS is not spoken over a plain connection)');
  }
  if ('embedded' in broker && broker.embedded.tls && !tls) bad('broker.embedded.tls', 'needs tls.caFile, tls.certFile and tls.keyFile: the CA clients are checked against and the core\'s own certificate');

  let database = 'sqlite::memory:';
  if (c.database !== undefined) {
    database = str(c.database, 'database');
    // A relative SQLite file lives beside the config file.
    if (!/^[a-z][a-z0-9+.-]*:/i.test(database)) database = resolve(base, database);
    else if (database.startsWith('sqlite:') && !['sqlite:', 'sqlite::memory:'].includes(database)) database = `sqlite:${resolve(base, database.slice(7))}`;
  }

  const coreKeyFile = resolve(base, str(c.coreKeyFile, 'coreKeyFile'));

  let radius: CoreConfig['radius'];
  if (c.radius !== undefined) {
    const r = obj(c.radius, 'radius');
    only(r, 'radius', ['secret', 'secretFile', 'port', 'host']);
    const s = secret(r, 'radius', base, 'secret') ?? bad('radius.secret', 'a shared secret (or secretFile) is required');
    radius = { secret: s, ...(r.port !== undefined && { port: port(r.port, 'radius.port') }), ...(r.host !== undefined && { host: str(r.host, 'radius.host') }) };
  }

  const a = c.admin === undefined ? {} : obj(c.admin, 'admin');
  only(a, 'admin', ['token', 'tokenFile', 'port', 'host']);
  const token = secret(a, 'admin', base, 'token') ?? env.SIMEDGE_ADMIN_TOKEN ?? bad('admin.token', 'required (or admin.tokenFile, or SIMEDGE_ADMIN_TOKEN)');
  if (token.length < 16) bad('admin.token', 'at least 16 characters');
  const admin = { token, port: a.port === undefined ? DEFAULT_ADMIN_PORT : port(a.port, 'admin.port'), host: a.host === undefined ? '127.0.0.1' : str(a.host, 'admin.host') };

  const placement: CoreConfig['placement'] = { cells: {}, costs: [] };
  if (c.placement !== undefined) {
    const p = obj(c.placement, 'placement');
    only(p, 'placement', ['cells', 'costs']);
    for (const [cell, edge] of Object.entries(p.cells === undefined ? {} : obj(p.cells, 'placement.cells'))) {
      if (!isEdgeId(edge)) bad(`placement.cells.${cell}`, 'an edge id expected');
      placement.cells[cell] = edge as string;
    }
    if (p.costs !== undefined) {
      if (!Array.isArray(p.costs)) bad('placement.costs', 'a list of { loc, edge, cost } expected');
      (p.costs as unknown[]).forEach((x, i) => {
        const o = obj(x, `placement.costs[${i}]`);
        const edge = str(o.edge, `placement.costs[${i}].edge`);
        if (!isEdgeId(edge)) bad(`placement.costs[${i}].edge`, 'an edge id expected');
        if (typeof o.cost !== 'number' || !Number.isFinite(o.cost) || o.cost < 0) bad(`placement.costs[${i}].cost`, 'a number >= 0 expected');
        placement.costs.push({ loc: str(o.loc, `placement.costs[${i}].loc`), edge, cost: o.cost as number });
      });
    }
  }

  let policy: PolicyOptions | undefined;
  if (c.policy !== undefined) {
    policy = obj(c.policy, 'policy') as PolicyOptions;
    try {
      makePolicy(policy);
    } catch (e) {
      bad('policy', (e as Error).message);
    }
  }
  const plans: Record<string, Plan> = {};
  for (const [name, p] of Object.entries(c.plans === undefined ? {} : obj(c.plans, 'plans'))) {
    try {
      plans[name] = checkPlan(obj(p, `plans.${name}`) as Plan, `plans.${name}`);
    } catch (e) {
      if (e instanceof SimedgeError) throw e;
      bad(`plans.${name}`, (e as Error).message);
    }
  }

  let retry: CoreConfig['retry'];
  if (c.retry !== undefined) {
    const r = obj(c.retry, 'retry');
    only(r, 'retry', ['baseMs', 'maxMs']);
    retry = { ...(r.baseMs !== undefined && { baseMs: positive(r.baseMs, 'retry.baseMs') }), ...(r.maxMs !== undefined && { maxMs: positive(r.maxMs, 'retry.maxMs') }) };
    try {
      retrySettings(retry);
    } catch (e) {
      bad('retry', (e as Error).message);
    }
  }

  let log: CoreConfig['log'];
  if (c.log !== undefined) {
    const l = obj(c.log, 'log');
    only(l, 'log', ['level']);
    if (l.level !== undefined && !isLevel(l.level)) bad('log.level', `one of ${LEVELS.join(', ')}`);
    log = l.level === undefined ? {} : { level: l.level as Level };
  }
  if (c.attestation !== undefined && c.attestation !== 'off' && c.attestation !== 'network') bad('attestation', "'off' or 'network' expected");
  if (c.attestation === 'network' && 'url' in broker) bad('attestation', "'network' needs the embedded broker (it reads peer addresses there)");
  if (c.shared !== undefined) {
    if (typeof c.shared !== 'boolean' && (typeof c.shared !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(c.shared))) bad('shared', 'true, false or a group name (letters, digits, _ and -) expected');
    // Cores that split the work must share the state and reach each other's broker.
    if (c.shared !== false && !('url' in broker)) bad('shared', 'needs an external broker with shared subscriptions (broker.url)');
    if (c.shared !== false && !database.startsWith('postgres')) bad('shared', 'needs a postgres:// database shared by the cores');
  }

  return {
    broker, database, coreKeyFile, admin, placement, plans,
    ...(tls && { tls }), ...(radius && { radius }), ...(policy && { policy }), ...(log && { log }),
    ...(c.opTimeoutMs !== undefined && { opTimeoutMs: positive(c.opTimeoutMs, 'opTimeoutMs') }),
    ...(c.nonceTtlSec !== undefined && { nonceTtlSec: positive(c.nonceTtlSec, 'nonceTtlSec') }),
    ...(c.orderTtlSec !== undefined && { orderTtlSec: positive(c.orderTtlSec, 'orderTtlSec') }),
    ...(c.retentionSec !== undefined && { retentionSec: positive(c.retentionSec, 'retentionSec') }),
    ...(c.attestation !== undefined && { attestation: c.attestation as 'off' | 'network' }),
    ...(c.shared !== undefined && { shared: c.shared as boolean | string }),
    ...(c.leaseMs !== undefined && { leaseMs: positive(c.leaseMs, 'leaseMs') }),
    ...(retry && { retry }),
  };
}

/** Read and check a config file (.json, else YAML, which is a superset of JSON). */
export function loadCoreConfig(path: string, env: NodeJS.ProcessEnv = process.env): CoreConfig {
  const { raw, base } = readConfigFile(path);
  return checkConfig(raw, base, env);
}
