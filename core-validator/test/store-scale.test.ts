// The store operations scale-out rests on (README "Scale-out"), on every backend [STYLE #12]:
// compare-and-set transitions, insert-if-absent request claims with takeover after a lapsed
// lease, and adoption of a dead core's provisions and unsent device notifications (outbox). The PostgreSQL part races two stores (two core
// processes) on one database: each transition, claim and orphan goes to exactly one of them.
import { describe, expect, it } from 'vitest';
import { CoreValidator, openStore, silentLogger, type CoreStore, type ProvisionRecord } from '../src/index.js';
import { IMSI } from './harness.js';
import { provision, storeBackends } from './store-backends.js';

const stores = storeBackends('simedge-scale-store-');
const BACKENDS = stores.backends;
const prov = provision;

async function withStore(url: () => Promise<string>, fn: (s: CoreStore) => Promise<void>): Promise<void> {
  const s = openStore(await url());
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

describe.each(BACKENDS)('scale-out store operations: $name', ({ url }) => {
  it('transition is compare-and-set: from another state it changes nothing and returns undefined', () => withStore(url, async (s) => {
    await s.createProvision(prov({ owner: 'core-a', deadline: 5000 }));
    expect(await s.transition('p-1', ['COMPLETED'], { state: 'REMOVING', updated: 2000 })).toBeUndefined();
    expect(await s.provision('p-1')).toMatchObject({ state: 'STARTING', owner: 'core-a', updated: 1000 });
    const next = await s.transition('p-1', ['STARTING', 'PROCESSING'], { state: 'COMPLETED', deadline: undefined, owner: 'core-b', updated: 2000 });
    expect(next).toMatchObject({ pid: 'p-1', state: 'COMPLETED', owner: 'core-b', updated: 2000 });
    expect(next?.deadline).toBeUndefined();
    expect(await s.transition('p-1', ['STARTING', 'PROCESSING'], { state: 'FAILED_TEMP', updated: 3000 })).toBeUndefined();
    expect(await s.transition('nope', ['STARTING'], { state: 'FAILED', updated: 3000 })).toBeUndefined();
    await expect(s.transition('p-1', [], { state: 'FAILED', updated: 3000 })).rejects.toThrow(TypeError);
  }));

  it('claims: insert-if-absent; busy while a live core holds it, taken over once its lease lapsed; done re-sends the reply', () => withStore(url, async (s) => {
    await s.renewLease('core-a', 10_000);
    await s.renewLease('core-b', 20_000);
    expect(await s.claimRequest(IMSI, 'prov', 'r1', 'core-a', 1000)).toEqual({ kind: 'new' });
    expect(await s.claimRequest(IMSI, 'prov', 'r1', 'core-b', 1000)).toEqual({ kind: 'busy', owner: 'core-a' });
    // The claimant itself sees its unfinished claim as its own to retry (one message at a time per core).
    expect(await s.claimRequest(IMSI, 'prov', 'r1', 'core-a', 1000)).toEqual({ kind: 'new' });
    // core-a's lease lapses at 10 000: core-b takes the request over.
    expect(await s.claimRequest(IMSI, 'prov', 'r1', 'core-b', 10_001)).toEqual({ kind: 'new' });
    expect(await s.claimRequest(IMSI, 'prov', 'r1', 'core-a', 10_001)).toEqual({ kind: 'busy', owner: 'core-b' });
    await s.putReply(IMSI, 'prov', 'r1', new Uint8Array([7]), 10_002);
    expect(await s.claimRequest(IMSI, 'prov', 'r1', 'core-a', 10_003)).toEqual({ kind: 'done', reply: new Uint8Array([7]) });
    // A released claim (the handler failed) is handled afresh; another core's release changes nothing.
    expect(await s.claimRequest(IMSI, 'bye', 'b1', 'core-a', 1000)).toEqual({ kind: 'new' });
    await s.releaseRequest(IMSI, 'bye', 'b1', 'core-b');
    expect(await s.claimRequest(IMSI, 'bye', 'b1', 'core-b', 1000)).toEqual({ kind: 'busy', owner: 'core-a' });
    await s.releaseRequest(IMSI, 'bye', 'b1', 'core-a');
    expect(await s.claimRequest(IMSI, 'bye', 'b1', 'core-b', 1000)).toEqual({ kind: 'new' });
    await s.putReply(IMSI, 'bye', 'b1', undefined, 1001);
    expect(await s.claimRequest(IMSI, 'bye', 'b1', 'core-a', 1002)).toEqual({ kind: 'done', reply: undefined });
    expect(await s.reply(IMSI, 'bye', 'b1')).toEqual({ reply: undefined });
  }));

  it('adoptOrphans: provisions of a core without a live lease (and unowned ones) move, a live core keeps its own', () => withStore(url, async (s) => {
    await s.renewLease('core-a', 10_000);
    await s.renewLease('core-b', 10_000);
    await s.renewLease('core-dead', 5_000);
    await s.createProvision(prov({ pid: 'p-a', owner: 'core-a' }));
    await s.createProvision(prov({ pid: 'p-dead', owner: 'core-dead', state: 'REMOVING' }));
    await s.createProvision(prov({ pid: 'p-gone', owner: 'core-gone', state: 'COMPLETED' }));
    await s.createProvision(prov({ pid: 'p-none' }));
    await s.createProvision(prov({ pid: 'p-done', owner: 'core-dead', state: 'REMOVED' }));
    expect((await s.adoptOrphans('core-b', ['STARTING', 'REMOVING', 'COMPLETED'], 4_000)).map((p) => p.pid).sort()).toEqual(['p-gone', 'p-none']);
    const got = await s.adoptOrphans('core-b', ['STARTING', 'REMOVING', 'COMPLETED'], 6_000);
    expect(got.map((p) => [p.pid, p.owner])).toEqual([['p-dead', 'core-b']]);
    expect((await s.provision('p-a'))?.owner).toBe('core-a');
    expect((await s.provision('p-done'))?.owner).toBe('core-dead');
    await s.dropLease('core-a');
    expect((await s.adoptOrphans('core-b', ['STARTING'], 6_000)).map((p) => p.pid)).toEqual(['p-a']);
  }));

  it('adoptOrphans: a FAILED_TEMP provision moves only while its clean-up remove is pending (no end reason, deadline not passed, current order a remove)', () => withStore(url, async (s) => {
    await s.renewLease('core-live', 10_000);
    await s.renewLease('core-b', 10_000);
    await s.renewLease('core-dead', 5_000);
    const failed = (pid: string, over: Partial<ProvisionRecord> = {}) =>
      prov({ pid, oid: `o-${pid}`, owner: 'core-dead', state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: 9_000, ...over });
    const cleanup = async (p: ProvisionRecord, kind: 'deploy' | 'remove' = 'remove') => {
      await s.createProvision(p);
      await s.createOrder({ oid: p.oid, pid: p.pid, kind, edge: p.edge, at: 1_000 });
    };
    await cleanup(failed('p-pending')); // a deploy timed out, its clean-up remove is unanswered
    await cleanup(failed('p-expired', { deadline: 7_000 })); // the clean-up's deadline is the sweep's now: over
    await cleanup(failed('p-confirmed', { deadline: undefined })); // the edge answered removed
    await cleanup(failed('p-teardown', { endWhy: 'bye' })); // a removal that timed out, not a clean-up
    await cleanup(failed('p-deploy'), 'deploy'); // current order a deploy: a stale deadline, nothing to re-send
    await s.createProvision(failed('p-no-order')); // its order row is gone
    await cleanup(failed('p-live', { owner: 'core-live' })); // its core is alive
    await s.createProvision(prov({ pid: 'p-failed', oid: 'o-p-failed', owner: 'core-dead', state: 'FAILED', deadline: 9_000 }));
    await s.createProvision(prov({ pid: 'p-removing', oid: 'o-p-removing', owner: 'core-dead', state: 'REMOVING', deadline: 9_000 }));

    // Not asked for: FAILED_TEMP stays.
    expect((await s.adoptOrphans('core-b', ['REMOVING'], 7_000)).map((p) => p.pid)).toEqual(['p-removing']);
    const got = await s.adoptOrphans('core-b', ['STARTING', 'PROCESSING', 'COMPLETED', 'REMOVING', 'FAILED_TEMP'], 7_000);
    expect(got.map((p) => [p.pid, p.state, p.owner, p.oid, p.deadline])).toEqual([['p-pending', 'FAILED_TEMP', 'core-b', 'o-p-pending', 9_000]]);
    for (const pid of ['p-expired', 'p-confirmed', 'p-teardown', 'p-deploy', 'p-no-order', 'p-failed']) expect((await s.provision(pid))?.owner).toBe('core-dead');
    expect((await s.provision('p-live'))?.owner).toBe('core-live');
    // FAILED_TEMP alone is a valid ask too; the adopted one now has a live owner.
    await s.dropLease('core-live');
    expect((await s.adoptOrphans('core-c', ['FAILED_TEMP'], 7_000)).map((p) => p.pid)).toEqual(['p-live']);
  }));

  it('outbox: a live core keeps its notifications; a dead core\'s (or a previous run\'s) move in the order written, each once; delete removes', () => withStore(url, async (s) => {
    await s.renewLease('core-a', 10_000);
    await s.renewLease('core-b', 10_000);
    await s.renewLease('core-dead', 5_000);
    await s.putOutbox({ id: 'n-a', imsi: IMSI, payload: new Uint8Array([1]), owner: 'core-a', at: 100 });
    // Written in this order, the second with the same ms as the first (a ready, then its term).
    await s.putOutbox({ id: 'n-z', imsi: IMSI, payload: new Uint8Array([2]), owner: 'core-dead', at: 200 });
    await s.putOutbox({ id: 'n-a2', imsi: IMSI, payload: new Uint8Array([0, 13, 10]), owner: 'core-dead', at: 200 });
    await s.putOutbox({ id: 'n-old', imsi: '240011234000002', payload: new Uint8Array([3]), owner: 'core-previous-run', at: 50 });
    await expect(s.putOutbox({ id: 'n-a', imsi: IMSI, payload: new Uint8Array([9]), owner: 'core-a', at: 1 })).rejects.toThrow(); // primary key
    expect((await s.adoptOutbox('core-b', 4_000)).map((r) => r.id)).toEqual(['n-old']);
    const later = await s.adoptOutbox('core-b', 6_000);
    expect(later).toEqual([
      { id: 'n-z', imsi: IMSI, payload: new Uint8Array([2]), owner: 'core-b', at: 200 },
      { id: 'n-a2', imsi: IMSI, payload: new Uint8Array([0, 13, 10]), owner: 'core-b', at: 200 },
    ]);
    expect(await s.adoptOutbox('core-c', 6_000)).toEqual([]); // now all held by live cores
    await s.deleteOutbox('n-z');
    await s.dropLease('core-b');
    expect((await s.adoptOutbox('core-c', 6_000)).map((r) => r.id)).toEqual(['n-a2', 'n-old']);
  }));
});

describe('two cores racing on one PostgreSQL', () => {
  it('each transition, request claim and orphan goes to exactly one of them', async () => {
    const u = await stores.pgDatabase();
    const a = openStore(u);
    const b = openStore(u);
    try {
      await a.renewLease('core-a', 100_000);
      await b.renewLease('core-b', 100_000);
      const n = 40;
      for (let i = 0; i < n; i++) await a.createProvision(prov({ pid: `p-${i}`, owner: 'core-dead' }));
      const moves = await Promise.all(Array.from({ length: n }, (_, i) => [
        a.transition(`p-${i}`, ['STARTING'], { state: 'COMPLETED', owner: 'core-a', updated: 2 }),
        b.transition(`p-${i}`, ['STARTING', 'PROCESSING'], { state: 'FAILED_TEMP', owner: 'core-b', updated: 2 }),
      ]).flat());
      expect(moves.filter((m) => m !== undefined)).toHaveLength(n);
      for (let i = 0; i < n; i++) {
        const won = moves.slice(2 * i, 2 * i + 2).filter((m) => m !== undefined);
        expect(won).toHaveLength(1);
        expect((await a.provision(`p-${i}`))?.state).toBe(won[0]?.state);
      }

      const claims = await Promise.all(Array.from({ length: n }, (_, i) => [
        a.claimRequest(IMSI, 'prov', `r-${i}`, 'core-a', 1), b.claimRequest(IMSI, 'prov', `r-${i}`, 'core-b', 1),
      ]).flat());
      expect(claims.filter((c) => c.kind === 'new')).toHaveLength(n);
      expect(claims.filter((c) => c.kind === 'busy')).toHaveLength(n);

      for (let i = 0; i < n; i++) await a.createProvision(prov({ pid: `q-${i}`, owner: 'core-dead' }));
      const [ga, gb] = await Promise.all([a.adoptOrphans('core-a', ['STARTING'], 1), b.adoptOrphans('core-b', ['STARTING'], 1)]);
      const all = [...ga!, ...gb!].map((p) => p.pid).sort();
      expect(all).toEqual(Array.from({ length: n }, (_, i) => `q-${i}`).sort());

      // A dead core's unsent device notifications: each is sent by exactly one of the survivors.
      for (let i = 0; i < n; i++) await a.putOutbox({ id: `n-${i}`, imsi: IMSI, payload: new Uint8Array([i]), owner: 'core-dead', at: i });
      const [oa, ob] = await Promise.all([a.adoptOutbox('core-a', 1), b.adoptOutbox('core-b', 1)]);
      expect([...oa!, ...ob!].map((r) => r.id).sort()).toEqual(Array.from({ length: n }, (_, i) => `n-${i}`).sort());
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('CoreOptions for scale-out', () => {
  it('shared takes true or a group name; leaseMs must be positive (TypeError / RangeError before anything starts)', () => {
    const base = { brokerUrl: 'mqtt://127.0.0.1:1', coreKey: { kid: 'core-1', seed: new Uint8Array(32) }, log: silentLogger };
    for (const shared of ['a/b', '', '$share', 7 as unknown as string]) expect(() => new CoreValidator({ ...base, shared })).toThrow(TypeError);
    expect(() => new CoreValidator({ ...base, shared: true, leaseMs: 0 })).toThrow(RangeError);
  });
});
