// Queries built and compiled once, run many times. Building a kysely query and compiling it to
// SQL costs more than running a point query on SQLite, and the core's hot path (a `prov`: a dozen
// reads and writes) uses the same few shapes over and over. A query is built once with sentinel
// arguments; each compiled parameter is traced back to the argument it came from, so later calls
// bind their own values in the right order. A parameter that is no argument (a literal in the
// builder) is refused when the query is first prepared, so a mistake cannot bind silently wrong.
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { DB } from './db.js';

interface Prepared { query: CompiledQuery; slots: number[] }

const sentinel = (i: number) => `\u0000simedge-arg-${i}\u0000`;

export class PreparedQueries {
  private readonly cache = new Map<string, Prepared>();

  /** Run query `name` (one fixed shape per name) with `args`; returns its rows. */
  async run<A extends unknown[], R>(db: Kysely<DB>, name: string, build: (db: Kysely<DB>, ...args: A) => Compilable<R>, args: A): Promise<R[]> {
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
    const result = await db.executeQuery<R>({ ...p.query, parameters: p.slots.map((i) => args[i]) });
    return result.rows;
  }
}
