// Queries built and compiled once, run many times. Building a kysely query and compiling it to
// SQL costs more than running a point query on SQLite, and the core's hot path (a `prov`: a dozen
// reads and writes) uses the same few shapes over and over. A query is built once with sentinel
// arguments; each compiled parameter is traced back to the argument it came from, so later calls
// bind their own values in the right order. A parameter that is no argument (a literal in the
// builder) is refused when the query is first prepared, so a mistake cannot bind silently wrong.
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { DB } from './db.js';

interface Prepared { query: CompiledQuery; slots: number[] }

/** Runs compiled SQL on the embedded SQLite handle itself, synchronously: the statement kysely's
 *  SqliteDriver would run, minus its connection hand-over (a mutex and a few promise hops, which
 *  cost more than a point query). Only for a caller that holds the connection (see kysely.ts). */
export type DirectSql = (sql: string, parameters: readonly unknown[]) => unknown[];

const sentinel = (i: number) => `\u0000simedge-arg-${i}\u0000`;

export class PreparedQueries {
  private readonly cache = new Map<string, Prepared>();

  /** Run query `name` (one fixed shape per name) with `args`; returns its rows. With `direct`,
   *  the compiled SQL runs on the SQLite handle instead of through kysely's executor. */
  async run<A extends unknown[], R>(db: Kysely<DB>, name: string, build: (db: Kysely<DB>, ...args: A) => Compilable<R>, args: A, direct?: DirectSql): Promise<R[]> {
    const p = this.prepare(db, name, build, args);
    const parameters = p.slots.map((i) => args[i]);
    if (direct) return direct(p.query.sql, parameters) as R[];
    const result = await db.executeQuery<R>({ ...p.query, parameters });
    return result.rows;
  }

  private prepare<A extends unknown[], R>(db: Kysely<DB>, name: string, build: (db: Kysely<DB>, ...args: A) => Compilable<R>, args: A): Prepared {
    let p = this.cache.get(name);
    if (!p) {
      const marks = args.map((_, i) => sentinel(i));
      const query = build(db, ...(marks as unknown as A)).compile();
      const slots = query.parameters.map((v) => {
        const i = typeof v === 'string' ? marks.indexOf(v) : -1;
        if (i < 0) throw new Error(`prepared query ${name}: parameter ${String(v)} is not one of its arguments`);
        return i;
      });
      p = { query, slots };
      this.cache.set(name, p);
    }
    return p;
  }
}
