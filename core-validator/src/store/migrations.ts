// The store's schema as kysely migrations, one list for SQLite and PostgreSQL. Migration n
// mirrors the legacy `PRAGMA user_version` step n (schema.ts), so a SQLite file written before
// kysely is adopted in place: its first user_version migrations are recorded as applied and the
// rest run (adoptLegacy). Column types differ only where the dialects do: bytes are BLOB / bytea,
// integers (ms times) INTEGER / bigint, costs REAL / double precision. PostgreSQL has no rowid,
// so the tables listed in insertion order there get an `ord` bigserial.
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { Database } from './sqlite-driver.js';

export type DialectKind = 'sqlite' | 'postgres';

/** Names in order; the legacy user_version n equals "the first n are applied". */
export const MIGRATION_NAMES = ['001_initial', '002_sim_plans_charging', '003_scale_out', '004_outbox', '005_retention', '006_provision_kid', '007_radius_sessions'] as const;

export function migrations(kind: DialectKind): Record<string, Migration> {
  const pg = kind === 'postgres';
  const blob = pg ? 'bytea' : 'blob';
  const int = pg ? 'bigint' : 'integer';
  const real = pg ? 'double precision' : 'real';
  return {
    '001_initial': { async up(db: Kysely<unknown>) {
      await db.schema.createTable('subscribers').addColumn('imsi', 'text', (c) => c.primaryKey()).addColumn('iccid', 'text', (c) => c.notNull()).execute();
      await db.schema.createTable('trust_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey()).addColumn('public_key', blob, (c) => c.notNull()).addColumn('mfr', 'text', (c) => c.notNull())
        .addColumn('classes', 'text').addColumn('not_before', int).addColumn('not_after', int)
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createTable('cell_edges').addColumn('cell', 'text', (c) => c.primaryKey()).addColumn('edge', 'text', (c) => c.notNull()).execute();
      await db.schema.createTable('attach')
        .addColumn('imsi', 'text', (c) => c.primaryKey()).addColumn('ip', 'text', (c) => c.notNull()).addColumn('plmn', 'text', (c) => c.notNull())
        .addColumn('cell', 'text', (c) => c.notNull()).addColumn('at', int, (c) => c.notNull()).execute();
      await db.schema.createTable('nonces')
        .addColumn('nonce', blob, (c) => c.primaryKey()).addColumn('imsi', 'text', (c) => c.notNull()).addColumn('expires', int, (c) => c.notNull()).execute();
      await db.schema.createTable('requests')
        .addColumn('imsi', 'text', (c) => c.notNull()).addColumn('t', 'text', (c) => c.notNull()).addColumn('rid', 'text', (c) => c.notNull())
        .addColumn('reply', blob).addColumn('at', int, (c) => c.notNull()).addPrimaryKeyConstraint('requests_pk', ['imsi', 't', 'rid']).execute();
      let prov = db.schema.createTable('provisions')
        .addColumn('pid', 'text', (c) => c.primaryKey()).addColumn('imsi', 'text', (c) => c.notNull()).addColumn('edge', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull()).addColumn('tid', 'text', (c) => c.notNull()).addColumn('cls', 'text', (c) => c.notNull())
        .addColumn('rid', 'text', (c) => c.notNull()).addColumn('oid', 'text', (c) => c.notNull())
        .addColumn('created', int, (c) => c.notNull()).addColumn('updated', int, (c) => c.notNull()).addColumn('deadline', int)
        .addColumn('code', 'text').addColumn('end_why', 'text').addColumn('end_rid', 'text').addColumn('svc', 'text');
      if (pg) prov = prov.addColumn('ord', sql`bigserial`);
      await prov.execute();
      await db.schema.createIndex('provisions_imsi').on('provisions').columns(['imsi', 'state']).execute();
      await db.schema.createTable('orders')
        .addColumn('oid', 'text', (c) => c.primaryKey()).addColumn('pid', 'text', (c) => c.notNull()).addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('edge', 'text', (c) => c.notNull()).addColumn('at', int, (c) => c.notNull()).execute();
    } },
    // SIM identity and plans, anti-rollback, fallback placement costs, retries, leases, charging.
    '002_sim_plans_charging': { async up(db: Kysely<unknown>) {
      await db.schema.alterTable('subscribers').addColumn('sim_key', blob).execute();
      await db.schema.alterTable('subscribers').addColumn('status', 'text', (c) => c.notNull().defaultTo('active')).execute();
      await db.schema.alterTable('subscribers').addColumn('plan', 'text').execute(); // JSON Plan
      await db.schema.alterTable('attach').addColumn('tai', 'text').execute();
      await db.schema.createTable('edge_costs')
        .addColumn('loc', 'text', (c) => c.notNull()).addColumn('edge', 'text', (c) => c.notNull()).addColumn('cost', real, (c) => c.notNull())
        .addPrimaryKeyConstraint('edge_costs_pk', ['loc', 'edge']).execute();
      await db.schema.createTable('template_seq')
        .addColumn('mfr', 'text', (c) => c.notNull()).addColumn('tid', 'text', (c) => c.notNull()).addColumn('seq', int, (c) => c.notNull())
        .addPrimaryKeyConstraint('template_seq_pk', ['mfr', 'tid']).execute();
      for (const [col, type] of [['seq', int], ['mfr', 'text'], ['services', 'text'], ['placement', 'text'], ['lease_until', int], ['roam_by', int]] as const) {
        await db.schema.alterTable('provisions').addColumn(col, type).execute();
      }
      await db.schema.alterTable('orders').addColumn('bytes', blob).execute();
      await db.schema.alterTable('orders').addColumn('sends', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      let charging = db.schema.createTable('charging')
        .addColumn('imsi', 'text', (c) => c.notNull()).addColumn('pid', 'text', (c) => c.notNull()).addColumn('service', 'text', (c) => c.notNull())
        .addColumn('edge', 'text', (c) => c.notNull()).addColumn('start', int, (c) => c.notNull()).addColumn('stop', int)
        .addPrimaryKeyConstraint('charging_pk', ['pid', 'service']);
      if (pg) charging = charging.addColumn('ord', sql`bigserial`);
      await charging.execute();
      await db.schema.createIndex('charging_start').on('charging').column('start').execute();
    } },
    // Several cores on one database (README "Scale-out"): who runs a provision's timers and who is
    // handling a device request, and each core's liveness lease.
    '003_scale_out': { async up(db: Kysely<unknown>) {
      await db.schema.alterTable('provisions').addColumn('owner', 'text').execute();
      await db.schema.alterTable('requests').addColumn('owner', 'text').execute();
      await db.schema.createTable('core_leases')
        .addColumn('owner', 'text', (c) => c.primaryKey()).addColumn('until', int, (c) => c.notNull()).execute();
    } },
    // Device notifications committed with the state change they report (src/outbox.ts).
    // Sent in insertion order (rowid / ord): a device's ready goes before its term even when both
    // carry the same ms.
    '004_outbox': { async up(db: Kysely<unknown>) {
      let outbox = db.schema.createTable('outbox')
        .addColumn('id', 'text', (c) => c.primaryKey()).addColumn('imsi', 'text', (c) => c.notNull()).addColumn('payload', blob, (c) => c.notNull())
        .addColumn('owner', 'text').addColumn('at', int, (c) => c.notNull());
      if (pg) outbox = outbox.addColumn('ord', sql`bigserial`);
      await outbox.execute();
    } },
    // Retention (CoreStore.sweep): answered requests and finished provisions' orders are deleted
    // by age, so the sweep reads an index instead of the whole table.
    '005_retention': { async up(db: Kysely<unknown>) {
      await db.schema.createIndex('requests_at').on('requests').column('at').execute();
      await db.schema.createIndex('orders_at').on('orders').column('at').execute();
    } },
    // The manufacturer key that signed a provision's template, so revoking it can end them.
    '006_provision_kid': { async up(db: Kysely<unknown>) {
      await db.schema.alterTable('provisions').addColumn('kid', 'text').execute();
    } },
    // The RADIUS session behind an attach record (NAS and Acct-Session-Id), so an Accounting-On/Off
    // ends every session of that NAS whichever core heard its Start, and after a restart
    // (radius/intake.ts). On the attach record itself: the Start / Interim-Update writes it anyway,
    // and a Stop deletes it. Indexed by NAS for the On/Off's one DELETE.
    '007_radius_sessions': { async up(db: Kysely<unknown>) {
      await db.schema.alterTable('attach').addColumn('nas', 'text').execute();
      await db.schema.alterTable('attach').addColumn('session', 'text').execute();
      await db.schema.createIndex('attach_nas').on('attach').column('nas').execute();
    } },
  };
}

/** Bring the database to the latest schema. Safe with several processes on one PostgreSQL:
 *  kysely's Migrator takes a lock row first. */
export async function migrateToLatest(db: Kysely<unknown>, kind: DialectKind): Promise<void> {
  const all = migrations(kind);
  // On PostgreSQL the Migrator's bookkeeping tables live in the schema the connection works in
  // (search_path), not whichever schema of the database happens to have them already.
  const schema = kind === 'postgres' ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(all) }, ...(schema !== undefined && { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A SQLite file from before kysely (PRAGMA user_version n > 0, no kysely_migration table):
 *  record its first n migrations as applied, so the Migrator runs only the rest. Synchronous,
 *  on the raw handle, before kysely opens it. The table shape is the Migrator's own. */
export function adoptLegacy(raw: Database): void {
  const version = raw.pragma('user_version', { simple: true }) as number;
  if (version <= 0) return;
  const known = raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'`).get();
  if (known) return;
  if (version > MIGRATION_NAMES.length) throw new Error(`store: file schema user_version ${version} is newer than this core knows`);
  raw.transaction(() => {
    raw.exec('CREATE TABLE kysely_migration (name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL)');
    const ins = raw.prepare('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)');
    for (const name of MIGRATION_NAMES.slice(0, version)) ins.run(name, new Date().toISOString());
  })();
}
