// Where the core's state lives, from one string: `sqlite::memory:`, `sqlite:/path/core.db`
// (or a bare path) for the embedded SQLite (a file runs in WAL mode), `postgres://…` for a
// PostgreSQL shared by several core processes. Both become a kysely Dialect under KyselyStore.
import { PostgresDialect, SqliteDialect, type Dialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import { KyselyStore } from './kysely.js';
import type { DirectSql } from './prepared.js';
import { adoptLegacy, type DialectKind } from './migrations.js';
import { openDatabase, type Statement } from './sqlite-driver.js';

export interface StoreTarget {
  kind: DialectKind;
  dialect: Dialect;
  /** SQLite only: run compiled SQL on the same handle, skipping kysely's executor (prepared.ts). */
  direct?: DirectSql;
}

/** Prepared statements kept per SQL text: kysely prepares on every query, and SQLite's parse is
 *  a large share of a point query. Bounded, since updateProvision builds its SET list per patch. */
const STATEMENT_CACHE = 256;

export function sqliteTarget(path = ':memory:'): StoreTarget {
  const raw = openDatabase(path);
  if (path !== ':memory:') raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  adoptLegacy(raw);
  const cache = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= STATEMENT_CACHE) cache.clear();
      s = raw.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const database: SqliteDatabase = {
    close: () => { if (raw.open) raw.close(); },
    // better-sqlite3 takes the parameter array as one argument, as kysely passes it.
    prepare: (sql: string) => statement(sql) as unknown as SqliteStatement,
  };
  // What kysely's SqliteDriver does per query: rows for a reader, none for the rest.
  const direct: DirectSql = (sql, parameters) => {
    const s = statement(sql);
    if (s.reader) return s.all(parameters);
    s.run(parameters);
    return [];
  };
  return { kind: 'sqlite', dialect: new SqliteDialect({ database }), direct };
}

const INT8_OID = 20;

export function postgresTarget(url: string, opts: { max?: number } = {}): StoreTarget {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    // bigint columns hold ms times and counters, all far below 2^53: read them as numbers.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  // An idle connection dropped by the server emits 'error' on the pool; without a listener that
  // would end the process. The next query reconnects or fails, and its caller logs that.
  pool.on('error', () => {});
  return { kind: 'postgres', dialect: new PostgresDialect({ pool }) };
}

/** `sqlite::memory:`, `sqlite:<path>`, `postgres://…` / `postgresql://…`, or a bare file path. */
export function storeTarget(database: string): StoreTarget {
  if (typeof database !== 'string' || database === '') throw new TypeError('database must be a non-empty string');
  if (/^postgres(ql)?:\/\//.test(database)) return postgresTarget(database);
  if (database.startsWith('sqlite:')) return sqliteTarget(database.slice('sqlite:'.length) || ':memory:');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(database)) throw new TypeError(`database: unsupported scheme in ${database.split('://')[0]}://`);
  return sqliteTarget(database);
}

/** Open (and migrate on first use) the store named by `database`. */
export function openStore(database: string): KyselyStore {
  const t = storeTarget(database);
  return new KyselyStore(t.dialect, t.kind, t.direct);
}
