// An Accounting-Stop reaching a RADIUS intake that never saw the session start [RFC2866 §5.1]:
// after a core restart (session state is in memory only), or in shared mode when the Start went to
// another core. Two real RADIUS servers feed one core and its store: the core's own, which hears
// the Start, and a second one standing for the restarted process or the other core, which hears
// only the Stop. Packets are real `radclient` ones; the provision is a real one on a scripted edge.
import { afterEach, describe, expect, it } from 'vitest';
import { startRadiusAccounting, type RadiusAccounting } from '../src/radius/index.js';
import { downOf, IMSI, startWorld, type World } from './harness.js';
import { acctLines, Events, radclient, startAndProvision } from './radius-tools.js';

const SECRET = 'stop-secret';
const CELL = '01A2D101';

let w: World | undefined;
let other: RadiusAccounting | undefined;
afterEach(async () => {
  await other?.close();
  other = undefined;
  if (w) expect(w.edgeA.badOrders).toEqual([]);
  await w?.close();
  w = undefined;
});

interface Setup { w: World; other: RadiusAccounting; otherEvents: Events; logs: string[]; pid: string; attachAt: number }

/** A core with RADIUS; the device attached through it (session pgw-1) and provisioned on edge-a. */
async function setup(): Promise<Setup> {
  const logs: string[] = [];
  w = await startWorld({ radius: { secret: SECRET }, log: (_level, msg) => { logs.push(msg); } });
  const world = w;
  await world.core.store.setCellEdge(CELL, 'edge-a');
  const acc = await startAndProvision(world, world.core.radiusPort!, SECRET, 'p1');
  expect(acc.edge).toBe('edge-a');
  const attach = await world.core.store.attachOf(IMSI);
  expect(attach).toMatchObject({ cell: CELL });
  // The intake that did not see the Start: same store, same clock, its own session memory.
  const otherEvents = new Events();
  other = await startRadiusAccounting({
    secret: SECRET, now: () => world.clock.ms,
    onAttach: (ev) => { otherEvents.onAttach(ev); void world.core.attach(ev); },
    onDetach: (ev) => { otherEvents.onDetach(ev); void world.core.detach(ev); },
  });
  return { w: world, other, otherEvents, logs, pid: acc.pid, attachAt: attach!.at };
}

describe('Accounting-Stop of a session this process never saw [RFC2866 §5.1]', () => {
  it('detaches the IMSI: its provision is torn down (term detach) and the attach record dropped', async () => {
    const { w, other, otherEvents, pid } = await setup();
    w.clock.ms += 60_000;
    const r = await radclient(other.port, SECRET, acctLines({ status: 'Stop', session: 'pgw-1', imsi: IMSI }));
    expect(r.code).toBe(0);
    expect(otherEvents.all).toEqual([{ kind: 'detach', ev: { imsi: IMSI, at: w.clock.ms } }]);
    const remove = await w.edgeA.nextOrder('remove');
    expect(remove).toMatchObject({ pid, imsi: IMSI, edge: 'edge-a' });
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid, why: 'detach' });
    await w.core.idle();
    expect(await w.core.store.attachOf(IMSI)).toBeUndefined();
    expect((await w.core.store.provision(pid))?.state).toBe('REMOVED');
  });

  it('a Stop older than the IMSI\'s current attach record changes nothing', async () => {
    const { w, other, otherEvents, logs, pid, attachAt } = await setup();
    w.clock.ms += 10_000;
    // An earlier session's Stop the NAS has been retrying for 60 s [RFC2866 §5.2]: it ended
    // 50 s before the current attach.
    const r = await radclient(other.port, SECRET, [...acctLines({ status: 'Stop', session: 'pgw-0', imsi: IMSI }), 'Acct-Delay-Time = 60']);
    expect(r.code).toBe(0); // recorded, so answered: the NAS stops retrying
    expect(otherEvents.all).toEqual([{ kind: 'detach', ev: { imsi: IMSI, at: attachAt - 50_000 } }]);
    // The core handled it (its queue is ordered: the marker's chal comes after) and kept everything.
    await w.marker();
    expect(logs).toContain('stale detach ignored');
    expect(w.edgeA.orders.map((o) => o.t)).toEqual(['deploy']);
    expect(w.obs.down().filter((m) => m.t === 'term')).toEqual([]);
    expect(await w.core.store.attachOf(IMSI)).toMatchObject({ cell: CELL, at: attachAt });
    expect((await w.core.store.provision(pid))?.state).toBe('COMPLETED');
    expect(w.traces.filter((t) => t.ev === 'detach')).toEqual([]);
  });
});
