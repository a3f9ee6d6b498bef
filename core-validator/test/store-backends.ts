// Test helper: the storage backends every store suite runs against [STYLE #12] - SQLite in
// memory, SQLite in a WAL file, and a real PostgreSQL (a throwaway cluster from store-pg.ts, or
// SIMEDGE_TEST_PG). Registers the vitest hooks that start and stop the cluster and remove the
// temp folders; call it once at the top level of a test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ProvisionRecord } from '../src/index.js';
import { IMSI } from './harness.js';
import { startPg, type PgServer } from './store-pg.js';

export interface Backend { name: string; url: () => Promise<string> }

export interface StoreBackends {
  backends: Backend[];
  /** A fresh PostgreSQL database URL (after the suite's beforeAll). */
  pgDatabase(): Promise<string>;
  /** The throwaway cluster, once started. */
  pg(): PgServer;
}

export function storeBackends(tempPrefix: string, onStarted?: (pg: PgServer) => void): StoreBackends {
  let pg: PgServer | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    pg = await startPg();
    onStarted?.(pg);
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const cluster = (): PgServer => {
    if (!pg) throw new Error('PostgreSQL is not started yet (use it inside tests, after beforeAll)');
    return pg;
  };
  return {
    backends: [
      { name: 'sqlite :memory:', url: () => Promise.resolve('sqlite::memory:') },
      {
        name: 'sqlite file (WAL)',
        url: () => {
          const d = mkdtempSync(join(tmpdir(), tempPrefix));
          dirs.push(d);
          return Promise.resolve(`sqlite:${join(d, 'core.db')}`);
        },
      },
      { name: 'postgresql', url: () => cluster().database() },
    ],
    pgDatabase: () => cluster().database(),
    pg: cluster,
  };
}

/** A provision record with test defaults. */
export const provision = (over: Partial<ProvisionRecord> = {}): ProvisionRecord => ({
  pid: 'p-1', imsi: IMSI, edge: 'edge-a', state: 'STARTING', tid: 'acme.thermo', cls: 'acme/x', rid: 'r1', oid: 'o-1', created: 1000, updated: 1000, ...over,
});
