// Operations [issue 4 items 3-4; DESIGN "The flow" 205-210]: deploy-order retries with backoff
// (same oid, so redelivery is idempotent), lease expiry and roaming teardown, the placement
// decision recorded with the provision, and retries picked up again after a restart. Real broker,
// real SQLite; the edges are scripted MQTT clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreValidator, silentLogger } from '../src/index.js';
import { CELL_A, CELL_B, IMSI, downOf, startWorld, closeChecked, type World } from './harness.js';
import { edgeStatus } from './pipeline-tools.js';

let w: World | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await closeChecked(w);
  w = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FAST_RETRY = { baseMs: 10, maxMs: 20 };

async function accepted(w: World, rid: string): Promise<string> {
  const acc = await w.provision(rid);
  if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t} ${acc.t === 'rej' ? acc.code : ''}`);
  return acc.pid;
}

describe('deploy-order retries [issue 4 item 4]', () => {
  it('re-sends the same order (same oid, same window) until rcvd, then stops', async () => {
    w = await startWorld({ retry: FAST_RETRY, opTimeoutMs: 2000 });
    w.edgeA.auto = false;
    const pid = await accepted(w, 'p1');
    await w.edgeA.inbox.waitFor(() => (w!.edgeA.orders.length >= 3 ? true : undefined), 'three copies of the deploy order');
    const copies = w.edgeA.orders.filter((o) => o.t === 'deploy');
    expect(new Set(copies.map((o) => JSON.stringify(o))).size).toBe(1); // byte-for-byte the same order
    expect(copies[0]).toMatchObject({ pid });
    const first = copies[0];
    if (first?.t !== 'deploy') throw new Error('unreachable');
    expect(w.traces.some((t) => t.ev === 'deploy-retry')).toBe(true);

    w.edgeA.send({ t: 'rcvd', oid: first.oid, pid, edge: 'edge-a' });
    await w.waitTrace('rcvd', 'edge-a');
    const atRcvd = w.edgeA.orders.length;
    const storedSends = (await w.core.store.order(first.oid))?.sends ?? 0;
    expect(storedSends).toBeGreaterThanOrEqual(3);
    // The operation deadline (2 s, many retry intervals later) is the event we wait on.
    expect(await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT')).toMatchObject({ code: 'TIMEOUT' });
    await w.core.idle();
    // No deploy re-sent after rcvd: at most the copies already sent but not yet delivered when
    // rcvd was handled (one, or two when a loaded machine stalled the loop across a 10-20 ms retry).
    const deploysAfter = w.edgeA.orders.slice(atRcvd).filter((o) => o.t === 'deploy').length;
    expect(deploysAfter).toBeLessThanOrEqual(2);
    expect((await w.core.store.order(first.oid))?.sends).toBeLessThanOrEqual(storedSends + 2);
  });

  it('an edge answering every copy is idempotent: one ready to the device, one COMPLETED provision', async () => {
    w = await startWorld({ retry: FAST_RETRY });
    w.edgeA.auto = false;
    const pid = await accepted(w, 'p1');
    await w.edgeA.inbox.waitFor(() => (w!.edgeA.orders.length >= 2 ? true : undefined), 'two copies');
    for (const o of w.edgeA.orders.slice(0, 2)) {
      w.edgeA.send({ t: 'rcvd', oid: o.oid, pid, edge: 'edge-a' });
      w.edgeA.send({ t: 'ready', oid: o.oid, pid, edge: 'edge-a', svc: w.edgeA.svc });
    }
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.marker();
    await w.core.idle();
    expect(w.obs.down().filter((m) => m.t === 'ready')).toHaveLength(1);
    expect(await w.core.store.provisions()).toMatchObject([{ pid, state: 'COMPLETED' }]);
    expect(await w.core.store.charging()).toHaveLength(1);
  });

  it('a restarted core picks up the retries of a provision still STARTING (same order again)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'simedge-ops-'));
    dirs.push(d);
    const dbPath = join(d, 'core.db');
    w = await startWorld({ dbPath, retry: { baseMs: 60_000, maxMs: 60_000 } }); // no retry in the first run
    w.edgeA.auto = false;
    const pid = await accepted(w, 'p1');
    const original = await w.edgeA.nextOrder('deploy');
    await w.core.stop();
    const before = w.edgeA.orders.length;
    const world = w;
    const again = new CoreValidator({
      brokerUrl: world.broker.url, coreKey: { kid: world.coreKey.kid, seed: world.coreKey.seed }, dbPath, now: () => world.clock.ms,
      log: silentLogger, retry: FAST_RETRY,
    });
    try {
      await again.start();
      const resent = await w.edgeA.nextOrder('deploy', before);
      expect(resent).toEqual(original);
      expect((await again.store.provision(pid))?.state).toBe('STARTING');
    } finally {
      await again.stop();
    }
  });
});

describe('teardown without a device message [DESIGN step 208]', () => {
  it('lease expiry: remove order, then term why "lease"; the provision records its lease end', async () => {
    w = await startWorld({ policy: { leaseSec: 0.05 } });
    const t0 = w.clock.ms;
    const pid = await accepted(w, 'p1');
    expect((await w.core.store.provision(pid))?.leaseUntil).toBe(t0 + 50);
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    w.clock.ms += 1000; // the lease has run out on the core's clock
    expect((await w.edgeA.nextOrder('remove')).pid).toBe(pid);
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term lease')).toEqual({ t: 'term', pid, why: 'lease' });
    await w.core.idle();
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'REMOVED', endWhy: 'lease' });
  });

  it('attach elsewhere (roaming) without re-provisioning: torn down after the grace period, term why "roam"', async () => {
    w = await startWorld({ policy: { roamGraceSec: 0.05 } });
    const pid = await accepted(w, 'p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.9', plmn: '24001', cell: CELL_B, at: w.clock.ms + 1 });
    expect((await w.core.store.provision(pid))?.roamBy).toBe(w.clock.ms + 50);
    expect(w.traces.find((t) => t.step === 208 && t.ev === 'roam')?.detail).toBe('edge-a -> edge-b');
    w.clock.ms += 1000;
    expect((await w.edgeA.nextOrder('remove')).pid).toBe(pid);
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term roam')).toEqual({ t: 'term', pid, why: 'roam' });
    await w.core.idle();
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'REMOVED', endWhy: 'roam' });
  });

  it('attaching back to a cell of the same edge cancels the roaming grace (the lease still applies)', async () => {
    w = await startWorld({ policy: { roamGraceSec: 0.05, leaseSec: 0.2 } });
    const pid = await accepted(w, 'p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.9', plmn: '24001', cell: CELL_B, at: w.clock.ms + 1 });
    expect((await w.core.store.provision(pid))?.roamBy).toBeDefined();
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: CELL_A, at: w.clock.ms + 2 });
    expect((await w.core.store.provision(pid))?.roamBy).toBeUndefined();
    w.clock.ms += 1000; // past both: had the roaming grace survived, it would end first with 'roam'
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid, why: 'lease' });
  });

  it('an attach to a cell no edge is named for, or while the edge is briefly offline, starts no grace period', async () => {
    w = await startWorld({ policy: { roamGraceSec: 0.05 } });
    const pid = await accepted(w, 'p1');
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: 'cell-nowhere', at: w.clock.ms + 1 });
    expect((await w.core.store.provision(pid))?.roamBy).toBeUndefined();
    await edgeStatus(w, w.edgeA, { online: false });
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: CELL_A, at: w.clock.ms + 2 });
    expect((await w.core.store.provision(pid))?.roamBy).toBeUndefined();
    expect(w.traces.some((t) => t.ev === 'roam')).toBe(false);
  });

  it('an attach in another cell of the same edge starts no grace period', async () => {
    w = await startWorld({ policy: { roamGraceSec: 0.05 } });
    await w.core.store.setCellEdge('cell-a2', 'edge-a');
    const pid = await accepted(w, 'p1');
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: 'cell-a2', at: w.clock.ms + 1 });
    expect((await w.core.store.provision(pid))?.roamBy).toBeUndefined();
    expect(w.traces.some((t) => t.ev === 'roam')).toBe(false);
  });
});

describe('placement decision recorded [issue 4 item 3]', () => {
  it('the cell-map decision and its reason are stored with the provision', async () => {
    w = await startWorld();
    const pid = await accepted(w, 'p1');
    expect((await w.core.store.provision(pid))?.placement).toEqual({ rule: 'cell-map', loc: CELL_A, skipped: [], reason: `cell-map ${CELL_A} -> edge-a` });
  });

  it('an offline cell edge falls back to the nearest edge by configured cost, and says why', async () => {
    w = await startWorld();
    await w.core.store.setEdgeCost(CELL_A, 'edge-b', 5);
    await edgeStatus(w, w.edgeA, { online: false });
    const acc = await w.provision('p1');
    expect(acc).toMatchObject({ t: 'acc', edge: 'edge-b' });
    if (acc.t !== 'acc') throw new Error('unreachable');
    expect((await w.edgeB.nextOrder('deploy')).pid).toBe(acc.pid);
    expect((await w.core.store.provision(acc.pid))?.placement).toEqual({
      rule: 'cost', loc: CELL_A, cost: 5, skipped: [{ edge: 'edge-a', why: 'offline' }], reason: `cost ${CELL_A} -> edge-b (cost 5); passed over edge-a offline`,
    });
  });

  it('a full cell edge falls back too (capacity from the retained status)', async () => {
    w = await startWorld();
    await w.core.store.setEdgeCost(CELL_A, 'edge-b', 5);
    await edgeStatus(w, w.edgeA, { used: { cpu: 4, mem: 0 } });
    expect(await w.provision('p1')).toMatchObject({ t: 'acc', edge: 'edge-b' });
  });
});
