// The slice of better-sqlite3 the store uses (the raw handle under kysely's SqliteDialect, and
// the legacy-file adoption), typed here so the rest of the store needs no driver types. Loaded
// through createRequire: the package is CommonJS with a native addon.
import { createRequire } from 'node:module';

export interface RunResult { changes: number }
export interface Statement {
  /** True for statements that return rows (SELECT, and DML with RETURNING). */
  readonly reader: boolean;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
  readonly open: boolean;
}
type DatabaseCtor = new (filename: string) => Database;

export function openDatabase(filename: string): Database {
  const Ctor = createRequire(import.meta.url)('better-sqlite3') as DatabaseCtor;
  return new Ctor(filename);
}
