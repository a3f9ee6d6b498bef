// The whole core on PostgreSQL (CoreOptions.database = postgres://…): the FIG. 2 flow over the
// real embedded broker with every record in a real PostgreSQL, and the anti-rollback raise that
// makes two cores sharing the database safe: when another core accepts a newer template between
// this core's rollback check and its commit, the deploy is refused (TEMPLATE_ROLLBACK) and
// nothing is created or sent.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type CoreStore } from '../src/index.js';
import { IMSI, downOf, startWorld, type World } from './harness.js';
import { startPg, type PgServer } from './store-pg.js';

let pg: PgServer | undefined;
let w: World | undefined;
const others: CoreStore[] = [];
beforeAll(async () => { pg = await startPg(); }, 60_000);
afterEach(async () => {
  await w?.close();
  w = undefined;
  for (const s of others.splice(0)) await s.close();
});
afterAll(async () => { await pg?.stop(); });

describe('CoreValidator on PostgreSQL', () => {
  it('provision, ready, bye, removed: states, the stored reply and charging live in PostgreSQL', async () => {
    const database = await pg!.database();
    w = await startWorld({ database });
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    // A second connection (an admin tool) sees what the core wrote.
    const admin = openStore(database);
    others.push(admin);
    expect(await admin.provision(acc.pid)).toMatchObject({ state: 'COMPLETED', edge: 'edge-a', seq: 7, mfr: 'acme' });
    expect(await admin.templateSeq('acme', 'acme.thermo')).toBe(7);
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid: acc.pid, why: 'bye' });
    await w.core.idle();
    expect((await admin.provision(acc.pid))?.state).toBe('REMOVED');
    expect((await admin.charging()).map((c) => c.stop !== undefined)).toEqual([true]);
    // A redelivered prov gets the stored reply, from PostgreSQL.
    const again = await w.prov('p1', new Uint8Array(16), w.template());
    expect(again).toEqual(acc);
  });

  it('another core raising the template seq after our check: TEMPLATE_ROLLBACK, nothing created or sent', async () => {
    const database = await pg!.database();
    const real = openStore(database);
    const rival = openStore(database); // the other core's connection to the same database
    others.push(rival);
    // The rival commits seq 8 right after this core's rollback step read the stored seq: the
    // interleaving two cores on one database can produce, placed deterministically.
    // The core validates inside a transaction (handlers/prov.ts), so the hook sits on the store
    // and on every transaction store it hands out.
    const hooked = <S extends CoreStore>(inner: S): S => new Proxy(inner, {
      get(target, key) {
        if (key === 'templateSeq') {
          return async (mfr: string, tid: string) => {
            const seen = await target.templateSeq(mfr, tid);
            await rival.raiseTemplateSeq(mfr, tid, 8);
            return seen;
          };
        }
        if (key === 'tx') return <T>(fn: (tx: CoreStore) => Promise<T>) => target.tx((tx) => fn(hooked(tx)));
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const store = hooked(real);
    w = await startWorld({ store });
    const rej = await w.provision('p1', w.template({ seq: 7 }));
    expect(rej).toMatchObject({ t: 'rej', code: 'TEMPLATE_ROLLBACK' });
    await w.marker();
    expect(w.obs.orders()).toEqual([]);
    expect(await rival.provisions()).toEqual([]);
    expect(await rival.templateSeq('acme', 'acme.thermo')).toBe(8);
  });
});
