// Accounting-On/Off [RFC2866 §5.1] ends every session its NAS held, including sessions this core
// process never saw start: the Start was heard before a core restart (here), or by another core
// sharing the database. The session's NAS lives on the attach record in the store, so the new
// core, with nothing in memory, finds it. Real `radclient` packets, a real core on a SQLite file
// and on PostgreSQL, restarted in between as a second CoreValidator on the same database; the
// provision is a real one on a scripted edge, and the device hears `term`.
import { afterEach, describe, expect, it } from 'vitest';
import { CoreValidator, silentLogger } from '../src/index.js';
import { downOf, IMSI, startWorld, type World } from './harness.js';
import { onOffLines, radclient, startAndProvision } from './radius-tools.js';
import { storeBackends } from './store-backends.js';

const SECRET = 'nas-secret';
const CELL = '01A2D101';

const stores = storeBackends('simedge-nas-reset-');
// A restart needs a database that outlives the process: not `:memory:`.
const BACKENDS = stores.backends.filter((b) => b.name !== 'sqlite :memory:');

let w: World | undefined;
let next: CoreValidator | undefined;
afterEach(async () => {
  await next?.stop();
  next = undefined;
  if (w) expect([...w.edgeA.badOrders, ...w.edgeB.badOrders]).toEqual([]);
  await w?.close();
  w = undefined;
});

describe.each(BACKENDS)('Accounting-On after a core restart [RFC2866 §5.1]: $name', ({ url }) => {
  it('the new core ends the session the old one heard start: remove order, term detach, attach gone; a repeated On or another NAS\'s changes nothing', async () => {
    const database = await url();
    w = await startWorld({ database, radius: { secret: SECRET } });
    const world = w;
    await world.core.store.setCellEdge(CELL, 'edge-a');
    const acc = await startAndProvision(world, world.core.radiusPort!, SECRET, 'p1');
    // The attach record names the session and its NAS (source address / NAS-Identifier).
    expect(await world.core.store.attachOf(IMSI)).toMatchObject({ cell: CELL, nas: '127.0.0.1/pgw-test', session: 'pgw-1' });

    // The restart: the old process and its session memory are gone; a new core on the same database.
    await world.core.stop();
    next = new CoreValidator({
      brokerUrl: world.broker.url, coreKey: { kid: world.coreKey.kid, seed: world.coreKey.seed }, database, radius: { secret: SECRET },
      now: () => world.clock.ms, log: silentLogger, retry: { baseMs: 60_000, maxMs: 60_000 },
    });
    await next.start();
    world.clock.ms += 60_000;

    // Another NAS restarting ends nothing of this one's.
    expect((await radclient(next.radiusPort!, SECRET, onOffLines('Accounting-On', 'pgw-other'))).code).toBe(0);
    await next.idle();
    expect(await next.store.attachOf(IMSI)).toMatchObject({ session: 'pgw-1' });
    expect((await next.store.provision(acc.pid))?.state).toBe('COMPLETED');

    // The NAS that reported the session restarted.
    const on = await radclient(next.radiusPort!, SECRET, onOffLines('Accounting-On', 'pgw-test'));
    expect(on.code).toBe(0);
    const remove = await world.edgeA.nextOrder('remove');
    expect(remove).toMatchObject({ pid: acc.pid, imsi: IMSI, edge: 'edge-a' });
    expect(await world.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid: acc.pid, why: 'detach' });
    await next.idle();
    expect(await next.store.attachOf(IMSI)).toBeUndefined();
    expect(await next.store.provision(acc.pid)).toMatchObject({ state: 'REMOVED', endWhy: 'detach' });

    // The NAS repeats it (it missed our answer: a new identifier), then goes down: nothing more.
    expect((await radclient(next.radiusPort!, SECRET, onOffLines('Accounting-On', 'pgw-test'))).code).toBe(0);
    expect((await radclient(next.radiusPort!, SECRET, onOffLines('Accounting-Off', 'pgw-test'))).code).toBe(0);
    await next.idle();
    await world.marker(); // the new core answers it: everything it sent before is observed
    expect(world.edgeA.orders.map((o) => o.t)).toEqual(['deploy', 'remove']);
    expect(world.obs.down().filter((m) => m.t === 'term')).toHaveLength(1);
  });
});
