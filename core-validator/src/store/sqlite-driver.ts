// The slice of better-sqlite3 the store uses, typed here because @types/better-sqlite3 is not
// installed (and this parallel work may not add packages). Loaded through createRequire: the
// package is CommonJS with a native addon.
import { createRequire } from 'node:module';

export interface RunResult { changes: number }
export interface Statement {
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
