// The scale-out rig shared by the test (scale-out.test.ts) and the benchmark
// (test/bench/scale.bench.ts): the engines (a throwaway PostgreSQL, Mosquitto 2, the bundled core
// daemon) once, then per run a fresh database schema with the registry and attach records of
// `n` devices, core processes with `shared: true`, two test edges and the devices' connections.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPrivateJwk } from '@simedge/device-sdk/tools';
import { encodeCbor, generateKeyPair, sign1, type DownMsg, type Template } from '@simedge/device-sdk/wire';
import { openStore, type KyselyStore } from '@simedge/core-validator';
import { startPg, type PgServer } from '../../core-validator/test/store-pg.js';
import { bundleCore, removeBundle, startCore, type CoreBundle, type CoreProcess } from './core-process.js';
import { ScaleDevice, ScaleEdge } from './fleet.js';
import { startMosquitto, type Mosquitto } from './mosquitto.js';

export const TOKEN = 'scale-test-admin-token';
export const imsiOf = (i: number) => `24001${String(i).padStart(10, '0')}`;
export const iccidOf = (i: number) => `894601${String(i).padStart(13, '0')}`;
export const cellOf = (i: number) => (i % 2 === 0 ? 'cell-a' : 'cell-b');

export interface Engines { pg: PgServer; mosq: Mosquitto; bundle: CoreBundle; stop(): Promise<void> }

export async function startEngines(guardMs: number): Promise<Engines> {
  const [pg, mosq, bundle] = await Promise.all([startPg(), startMosquitto(guardMs), bundleCore()]);
  return {
    pg, mosq, bundle,
    async stop() {
      await mosq.stop();
      await pg.stop();
      removeBundle(bundle);
    },
  };
}

export interface RunOptions { n: number; cores: number; leaseMs: number; guardMs: number }

export interface Run {
  cores: CoreProcess[];
  edges: ScaleEdge[];
  devices: ScaleDevice[];
  /** The registry, as an operator's tools see it. */
  store: KyselyStore;
  tpl: Uint8Array;
  /** How long the slowest core took from spawn to `ready` (ms). */
  coreStartMs: number;
  connectMs: number;
  close(): Promise<void>;
}

export async function startRun(e: Engines, o: RunOptions): Promise<Run> {
  const url = await e.pg.database();
  const dir = mkdtempSync(join(tmpdir(), 'simedge-scale-'));
  const coreKey = { kid: 'core-1', ...generateKeyPair() };
  const keyFile = join(dir, 'core.key.json');
  writeFileSync(keyFile, JSON.stringify(toPrivateJwk(coreKey)), { mode: 0o600 });
  const mfr = { kid: 'acme-2026', ...generateKeyPair() };
  const now = Math.floor(Date.now() / 1000);
  const t: Template = {
    v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: now - 60, exp: now + 3600,
    svc: [{ n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret'], share: 'class', res: { cpu: 0.1, mem: 32 } }],
  };
  const tpl = sign1(encodeCbor(t), mfr.kid, mfr.seed);

  const store = openStore(url);
  await store.addTrustKey({ kid: mfr.kid, publicKey: mfr.publicKey, mfr: 'acme' });
  await store.tx(async (tx) => {
    for (let i = 0; i < o.n; i++) {
      await tx.addSubscriber({ imsi: imsiOf(i), iccid: iccidOf(i) });
      await tx.upsertAttach({ imsi: imsiOf(i), ip: `10.45.${i >> 8}.${i & 255}`, plmn: '24001', cell: cellOf(i), at: Date.now() });
    }
  });
  // Retained statuses first: each core gets them on its (unshared) status subscription.
  const edges = await Promise.all([
    ScaleEdge.start(e.mosq.url, 'edge-a', coreKey.publicKey, ['cell-a']),
    ScaleEdge.start(e.mosq.url, 'edge-b', coreKey.publicKey, ['cell-b']),
  ]);
  const config = {
    broker: { url: e.mosq.url }, database: url, coreKeyFile: keyFile, admin: { token: TOKEN, port: 0 },
    placement: { cells: { 'cell-a': 'edge-a', 'cell-b': 'edge-b' } }, shared: true, leaseMs: o.leaseMs, opTimeoutMs: 30_000, log: { level: 'warn' },
  };
  const cores = await Promise.all(Array.from({ length: o.cores }, (_, k) => startCore(e.bundle, `core-${k}`, config, o.guardMs)));
  const t1 = performance.now();
  const devices: ScaleDevice[] = [];
  for (let i = 0; i < o.n; i += 100) {
    devices.push(...await Promise.all(Array.from({ length: Math.min(100, o.n - i) }, (_, k) => ScaleDevice.connect(e.mosq.url, imsiOf(i + k)))));
  }
  return {
    cores, edges, devices, store, tpl, coreStartMs: Math.max(...cores.map((c) => c.startMs)), connectMs: performance.now() - t1,
    async close() {
      await Promise.all(devices.map((d) => d.close()));
      await Promise.all(edges.map((x) => x.close()));
      await Promise.all(cores.map((c) => c.kill('SIGTERM')));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const answerTo = (rid: string) => (m: DownMsg) => ((m.t === 'acc' || m.t === 'rej') && m.rid === rid ? m : undefined);

/** hello -> chal -> prov -> acc -> ready for device `i`; returns the new pid. Requests are
 *  repeated with the same rid after `retryMs` (doubling), as a device does. */
export async function provision(run: Run, i: number, wave: string, retryMs: number, tries: number, guardMs: number): Promise<string> {
  const d = run.devices[i] as ScaleDevice;
  const chal = await d.request({ t: 'hello', rid: `${wave}h`, imsi: d.imsi, iccid: iccidOf(i), plmn: '24001', cell: cellOf(i), why: 'on' },
    (m) => (m.t === 'chal' && m.rid === `${wave}h` ? m : undefined), retryMs, tries);
  const ans = await d.request({ t: 'prov', rid: `${wave}p`, imsi: d.imsi, nonce: chal.nonce, tpl: run.tpl }, answerTo(`${wave}p`), retryMs, tries);
  if (ans.t !== 'acc') throw new Error(`${d.imsi}: prov ${wave} rejected ${ans.code}`);
  await d.notice((m) => (m.t === 'ready' && m.pid === ans.pid ? m : undefined), guardMs, `ready ${ans.pid}`);
  return ans.pid;
}
