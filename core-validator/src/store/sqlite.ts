// The embedded default: KyselyStore on SQLite (better-sqlite3). ':memory:' for tests and the
// demo; a file runs in WAL mode so readers (admin tools) never block the validator. A file
// written by the pre-kysely store (PRAGMA user_version) is adopted and upgraded in place.
import { KyselyStore } from './kysely.js';
import { sqliteTarget } from './open.js';

export class SqliteStore extends KyselyStore {
  constructor(path = ':memory:') {
    const t = sqliteTarget(path);
    super(t.dialect, 'sqlite', t.direct);
  }
}
