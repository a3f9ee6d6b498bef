// The SQLite store on its own (real better-sqlite3, in memory and on disk), and the core
// picking up operations left in flight by a previous run from a file store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreValidator, SqliteStore, silentLogger } from '../src/index.js';
import { IMSI, downOf, startWorld, type World } from './harness.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'simedge-core-'));
  dirs.push(d);
  return d;
};
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SqliteStore', () => {
  it('nonces are single-use, bound to their IMSI and expire', async () => {
    const s = new SqliteStore();
    const n = new Uint8Array(16).fill(1);
    await s.putNonce(IMSI, n, 2000, 1000);
    expect(await s.takeNonce('240019999999999', n, 1500)).toBe(false);
    // the wrong-IMSI attempt burnt it
    expect(await s.takeNonce(IMSI, n, 1500)).toBe(false);
    await s.putNonce(IMSI, n, 2000, 1000);
    expect(await s.takeNonce(IMSI, n, 2000)).toBe(false); // expired at 2000
    await s.putNonce(IMSI, n, 2000, 1000);
    expect(await s.takeNonce(IMSI, n, 1999)).toBe(true);
    expect(await s.takeNonce(IMSI, n, 1999)).toBe(false);
    await s.close();
  });

  it('persists to a file in WAL mode and reopens without re-running migrations', async () => {
    const path = join(tmp(), 'core.db');
    const a = new SqliteStore(path);
    await a.addSubscriber({ imsi: IMSI, iccid: '89460112340000010' });
    await a.addTrustKey({ kid: 'k1', publicKey: new Uint8Array(32).fill(9), mfr: 'acme', classes: ['acme/x'], notAfter: 2000000000 });
    await a.createProvision({ pid: 'p-1', imsi: IMSI, edge: 'edge-a', state: 'STARTING', tid: 't', cls: 'c', rid: 'r', oid: 'o-1', created: 1, updated: 1, deadline: 5 });
    await a.updateProvision('p-1', { state: 'COMPLETED', deadline: undefined, svc: [{ n: 'cse', ep: 'http://x' }], updated: 2 });
    await a.close();
    const b = new SqliteStore(path);
    expect((await b.subscriber(IMSI))?.iccid).toBe('89460112340000010');
    expect(await b.trustKey('k1')).toEqual({ kid: 'k1', publicKey: new Uint8Array(32).fill(9), mfr: 'acme', classes: ['acme/x'], notAfter: 2000000000, revoked: false });
    expect(await b.provisions({ imsi: IMSI, state: 'COMPLETED' })).toEqual([
      { pid: 'p-1', imsi: IMSI, edge: 'edge-a', state: 'COMPLETED', tid: 't', cls: 'c', rid: 'r', oid: 'o-1', created: 1, updated: 2, svc: [{ n: 'cse', ep: 'http://x' }] },
    ]);
    expect(await b.provisions({ state: 'STARTING' })).toEqual([]);
    await b.close();
  });

  it('refuses a trust key that is not a 32-byte Ed25519 public key', async () => {
    const s = new SqliteStore();
    await expect(s.addTrustKey({ kid: 'k', publicKey: new Uint8Array(31), mfr: 'acme' })).rejects.toThrow(TypeError);
    await s.close();
  });
});

describe('restart', () => {
  it('an operation left in flight by a previous run times out after restart (nothing silently stuck)', async () => {
    const dbPath = join(tmp(), 'core.db');
    w = await startWorld({ dbPath });
    w.edgeA.auto = false;
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.core.stop();

    w.clock.ms += 20_000; // past the 15 s default deadline
    const again = new CoreValidator({ brokerUrl: w.broker.url, coreKey: { kid: w.coreKey.kid, seed: w.coreKey.seed }, dbPath, now: () => w!.clock.ms, log: silentLogger });
    try {
      await again.start();
      expect(await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT')).toMatchObject({ code: 'TIMEOUT' });
      await again.idle();
      expect(await again.store.provision(acc.pid)).toMatchObject({ state: 'FAILED_TEMP', code: 'TIMEOUT' });
    } finally {
      await again.stop();
    }
  });
});
