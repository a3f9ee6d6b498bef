// Make-before-break replaces a template's provision, not the device's others [DESIGN "The flow"
// 207-210, "Task offloading": on roaming the new edge takes over before the old one is removed]:
// a device may run several templates at once (plan `maxProvisions`); a new provision that becomes
// ready removes only the older COMPLETED provisions of the same template (manufacturer, template
// id), with `term {why: 'roam'}`. Real broker, real core on SQLite, scripted edges (harness.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { ICCID, IMSI, downOf, key, startWorld, closeChecked, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await closeChecked(w);
  w = undefined;
});

/** A world whose subscriber's plan allows three provisions at once. */
async function world(): Promise<World> {
  const x = await startWorld();
  await x.core.store.addSubscriber({ imsi: IMSI, iccid: ICCID, plan: { maxProvisions: 3 } });
  return x;
}

/** Provision `tpl` and return its pid; `why` is the hello's reason [DESIGN step 203]. */
async function provisioned(x: World, rid: string, tpl: Uint8Array, why: 'on' | 'reset' | 'roam' = 'on'): Promise<string> {
  const from = x.obs.all.length;
  x.up({ t: 'hello', rid: `${rid}-h`, imsi: IMSI, iccid: ICCID, plmn: '24001', cell: 'cell-a1', why });
  const chal = await x.obs.waitFor(downOf(IMSI, 'chal', (m) => m.rid === `${rid}-h`), `chal ${rid}`, from);
  const acc = await x.prov(rid, chal.nonce, tpl);
  if (acc.t !== 'acc') throw new Error(`expected acc for ${rid}, got ${acc.t}`);
  return acc.pid;
}

const readyOf = (x: World, pid: string) => x.obs.waitFor(downOf(IMSI, 'ready', (m) => m.pid === pid), `ready ${pid}`);
const removals = (x: World) => [...x.edgeA.orders, ...x.edgeB.orders].filter((o) => o.t === 'remove').map((o) => o.pid);
const terms = (x: World) => x.obs.down().filter((m) => m.t === 'term');

/** Once the core is idle: no remove order and no term went out, and every pid is still COMPLETED. */
async function allStillRunning(x: World, ...pids: string[]): Promise<void> {
  await x.core.idle();
  await x.marker();
  expect(removals(x)).toEqual([]);
  expect(terms(x)).toEqual([]);
  for (const pid of pids) expect((await x.core.store.provision(pid))?.state, pid).toBe('COMPLETED');
}

describe('make-before-break per template [FIG. 2 207-210]', () => {
  it('a second template does not replace the first; a re-provision of the first replaces only it (term roam)', async () => {
    w = await world();
    const thermo = w.template({ tid: 'acme.thermo' });
    const a1 = await provisioned(w, 'pa1', thermo);
    await readyOf(w, a1);

    w.clock.ms += 1000;
    const b = await provisioned(w, 'pb', w.template({ tid: 'acme.fwupdate' }));
    await readyOf(w, b);
    // Both templates run: no remove order, no term, the first still COMPLETED.
    await allStillRunning(w, a1, b);

    // The device resets and provisions the thermometer template again: make-before-break for it.
    w.clock.ms += 1000;
    const a2 = await provisioned(w, 'pa2', thermo, 'reset');
    await readyOf(w, a2);
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term for the old thermo provision')).toEqual({ t: 'term', pid: a1, why: 'roam' });
    await w.core.idle();
    await w.marker();
    expect(removals(w)).toEqual([a1]);
    expect(terms(w).map((m) => m.t === 'term' && m.pid)).toEqual([a1]);
    expect(await w.core.store.provision(a1)).toMatchObject({ state: 'REMOVED', endWhy: 'roam' });
    expect((await w.core.store.provision(a2))?.state).toBe('COMPLETED');
    expect((await w.core.store.provision(b))?.state).toBe('COMPLETED');
  });

  it('an older provision of one template that is ready after a newer one of another template is not stale', async () => {
    w = await world();
    w.edgeA.auto = false;
    const a = await provisioned(w, 'pa', w.template({ tid: 'acme.thermo' }));
    const deployA = await w.edgeA.nextOrder('deploy');
    w.clock.ms += 1000;
    const seen = w.edgeA.orders.length;
    const b = await provisioned(w, 'pb', w.template({ tid: 'acme.fwupdate' }));
    const deployB = await w.edgeA.nextOrder('deploy', seen);
    expect(deployB.pid).toBe(b);
    // The newer (b) completes first, then the older of the other template (a).
    w.edgeA.send({ t: 'ready', oid: deployB.oid, pid: b, edge: 'edge-a', svc: w.edgeA.svc });
    await readyOf(w, b);
    w.edgeA.send({ t: 'ready', oid: deployA.oid, pid: a, edge: 'edge-a', svc: w.edgeA.svc });
    await readyOf(w, a);
    await allStillRunning(w, a, b);
  });

  it('another manufacturer\'s template with the same template id is another template', async () => {
    w = await world();
    const globex = key('globex-2026');
    await w.core.store.addTrustKey({ kid: globex.kid, publicKey: globex.publicKey, mfr: 'globex' });
    const a = await provisioned(w, 'pa', w.template({ tid: 'acme.thermo' }));
    await readyOf(w, a);
    w.clock.ms += 1000;
    const g = await provisioned(w, 'pg', w.template({ tid: 'acme.thermo', mfr: 'globex', cls: 'globex/thermo' }, globex));
    await readyOf(w, g);
    await allStillRunning(w, a, g);
  });
});
