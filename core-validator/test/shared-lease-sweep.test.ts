// Scale-out leases (README "Scale-out", src/cluster.ts): the heartbeat sweep that adopts the work
// of a core whose lease lapsed also deletes the lease rows of cores gone for LEASE_ROWS_KEPT
// lease periods, so crashed cores' rows do not pile up in `core_leases`. A real shared core
// (MQTT 5 on a real Mosquitto 2) on a SQLite file; its first heartbeat runs inside start(), so
// the test reads the table as soon as start() resolves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@simedge/device-sdk/wire';
import { LEASE_ROWS_KEPT } from '../src/cluster.js';
import { CoreValidator, openStore, silentLogger } from '../src/index.js';
import { startOpenMosquitto, type RunningMosquitto } from './mosquitto-run.js';
import { provision } from './store-backends.js';

const LEASE_MS = 60_000; // the heartbeat timer (every 20 s) never fires during the test

let dir = '';
let broker: RunningMosquitto | undefined;
let url = '';
let core: CoreValidator | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simedge-lease-sweep-'));
  ({ broker, url } = await startOpenMosquitto(dir));
});
afterEach(async () => {
  await core?.stop();
  core = undefined;
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('lease rows of cores long gone', () => {
  it('are deleted by the sweep once lapsed LEASE_ROWS_KEPT leases ago, after their provisions are adopted; recent and live ones stay', async () => {
    const now = Date.UTC(2026, 0, 15);
    const file = join(dir, 'core.db');
    const store = openStore(`sqlite:${file}`);
    await store.renewLease('core-crashed-long-ago', now - (LEASE_ROWS_KEPT + 1) * LEASE_MS);
    await store.renewLease('core-crashed-recently', now - 2 * LEASE_MS);
    await store.renewLease('core-alive', now + LEASE_MS);
    await store.createProvision(provision({ pid: 'p-orphan', state: 'COMPLETED', owner: 'core-crashed-long-ago', created: now - 1e6, updated: now - 1e6 }));

    core = new CoreValidator({
      brokerUrl: url, coreKey: { kid: 'core-1', seed: generateKeyPair().seed }, store, shared: true, leaseMs: LEASE_MS, now: () => now, log: silentLogger,
    });
    await core.start();

    expect((await store.provision('p-orphan'))?.owner).toBe(core.id); // adopted first
    const raw = new Database(file, { readonly: true });
    try {
      const owners = (raw.prepare('SELECT owner FROM core_leases ORDER BY owner').all() as { owner: string }[]).map((r) => r.owner);
      expect(owners).toEqual(['core-alive', 'core-crashed-recently', core.id].sort());
    } finally {
      raw.close();
    }
  });
});
