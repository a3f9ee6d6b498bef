// One storage contract, every backend [STYLE #12]: the same CoreStore tests run against SQLite in
// memory, SQLite in a WAL file, and a real PostgreSQL (a throwaway cluster from store-pg.ts, or
// SIMEDGE_TEST_PG). Each test gets a fresh store (PostgreSQL: a fresh database). The PostgreSQL
// part also races two stores (two core processes) on one database: exactly one takes a nonce,
// concurrent seq raises keep the highest, and concurrent first opens migrate once.
import { describe, expect, it } from 'vitest';
import { KyselyStore, openStore, type CoreStore, type ProvisionRecord } from '../src/index.js';
import { IMSI } from './harness.js';
import { newSim } from './pipeline-tools.js';
import { provision, storeBackends } from './store-backends.js';

const stores = storeBackends('simedge-store-', (pg) => {
  // Start-up time of the throwaway cluster, for the README and CI budgets (not asserted).
  console.info(`PostgreSQL ready in ${pg.startMs.toFixed(0)} ms${pg.startMs === 0 ? ' (SIMEDGE_TEST_PG)' : ''}`);
});
const BACKENDS = stores.backends;
const prov = provision;

describe.each(BACKENDS)('CoreStore contract: $name', ({ url }) => {
  const withStore = async (fn: (s: CoreStore, url: string) => Promise<void>) => {
    const u = await url();
    const s = openStore(u);
    try {
      await fn(s, u);
    } finally {
      await s.close();
    }
  };

  it('registry: subscribers with SIM key, status and plan round-trip; bad input is refused and changes nothing', () => withStore(async (s) => {
    const sim = newSim();
    expect(await s.subscriber(IMSI)).toBeUndefined();
    await s.addSubscriber({ imsi: IMSI, iccid: '894601', simKey: sim.point, plan: { maxProvisions: 2 } });
    expect(await s.subscriber(IMSI)).toEqual({ imsi: IMSI, iccid: '894601', simKey: sim.point, status: 'active', plan: { maxProvisions: 2 } });
    await s.setSubscriberStatus(IMSI, 'suspended');
    expect((await s.subscriber(IMSI))?.status).toBe('suspended');
    await expect(s.addSubscriber({ imsi: IMSI, iccid: '1', simKey: new Uint8Array(65).fill(4) })).rejects.toThrow(TypeError);
    await expect(s.addSubscriber({ imsi: IMSI, iccid: '1', plan: { maxServices: -1 } })).rejects.toThrow(RangeError);
    await expect(s.setSubscriberStatus(IMSI, 'gone' as 'active')).rejects.toThrow(TypeError);
    expect((await s.subscriber(IMSI))?.iccid).toBe('894601');
  }));

  it('trust keys: upsert, optional fields, revocation; a key that is not 32 bytes is refused', () => withStore(async (s) => {
    const pub = new Uint8Array(32).fill(9);
    await s.addTrustKey({ kid: 'k1', publicKey: pub, mfr: 'acme', classes: ['acme/x'], notBefore: 10, notAfter: 2_000_000_000 });
    expect(await s.trustKey('k1')).toEqual({ kid: 'k1', publicKey: pub, mfr: 'acme', classes: ['acme/x'], notBefore: 10, notAfter: 2_000_000_000, revoked: false });
    await s.addTrustKey({ kid: 'k1', publicKey: pub, mfr: 'acme', revoked: true });
    expect(await s.trustKey('k1')).toEqual({ kid: 'k1', publicKey: pub, mfr: 'acme', revoked: true });
    await expect(s.addTrustKey({ kid: 'k2', publicKey: new Uint8Array(31), mfr: 'acme' })).rejects.toThrow(TypeError);
    expect(await s.trustKey('k2')).toBeUndefined();
    await s.addTrustKey({ kid: 'k0', publicKey: pub, mfr: 'beta' });
    expect((await s.trustKeys()).map((k) => [k.kid, k.mfr, k.revoked])).toEqual([['k0', 'beta', false], ['k1', 'acme', true]]);
  }));

  it('placement tables: cell map upsert, costs cheapest first then by edge; a bad cost is refused', () => withStore(async (s) => {
    await s.setCellEdge('cell-1', 'edge-a');
    await s.setCellEdge('cell-1', 'edge-b');
    expect(await s.edgeForCell('cell-1')).toBe('edge-b');
    expect(await s.edgeForCell('cell-2')).toBeUndefined();
    await s.setEdgeCost('cell-1', 'c', 2.5);
    await s.setEdgeCost('cell-1', 'b', 2.5);
    await s.setEdgeCost('cell-1', 'a', 9);
    await s.setEdgeCost('cell-1', 'a', 1);
    expect(await s.edgeCosts('cell-1')).toEqual([{ edge: 'a', cost: 1 }, { edge: 'b', cost: 2.5 }, { edge: 'c', cost: 2.5 }]);
    await expect(s.setEdgeCost('cell-1', 'd', -1)).rejects.toThrow(RangeError);
    expect(await s.edgeCosts('cell-1')).toHaveLength(3);
    // The whole tables, and removal of single entries.
    await s.setCellEdge('24001-0A01', 'edge-c');
    expect(await s.cellEdges()).toEqual([{ loc: '24001-0A01', edge: 'edge-c' }, { loc: 'cell-1', edge: 'edge-b' }]);
    await s.setEdgeCost('cell-0', 'z', 0);
    expect((await s.allEdgeCosts()).map((c) => `${c.loc}/${c.edge}/${c.cost}`)).toEqual(['cell-0/z/0', 'cell-1/a/1', 'cell-1/b/2.5', 'cell-1/c/2.5']);
    expect(await s.deleteCellEdge('cell-1')).toBe(true);
    expect(await s.deleteCellEdge('cell-1')).toBe(false);
    expect(await s.edgeForCell('cell-1')).toBeUndefined();
    expect(await s.deleteEdgeCost('cell-1', 'b')).toBe(true);
    expect(await s.deleteEdgeCost('cell-1', 'b')).toBe(false);
    expect(await s.edgeCosts('cell-1')).toEqual([{ edge: 'a', cost: 1 }, { edge: 'c', cost: 2.5 }]);
  }));

  it('anti-rollback: the seq is raised, never lowered, per (mfr, tid); 32-bit seqs and ms times survive', () => withStore(async (s) => {
    expect(await s.raiseTemplateSeq('acme', 't', 5)).toBe(true);
    expect(await s.raiseTemplateSeq('acme', 't', 3)).toBe(false); // a higher one stays
    expect(await s.raiseTemplateSeq('acme', 't', 5)).toBe(true); // equal: the same template again
    expect(await s.templateSeq('acme', 't')).toBe(5);
    expect(await s.raiseTemplateSeq('acme', 't', 0xffffffff)).toBe(true);
    expect(await s.templateSeq('acme', 't')).toBe(0xffffffff);
    expect(await s.templateSeq('globex', 't')).toBeUndefined();
    const at = Date.UTC(2026, 0, 15, 12, 0, 0, 123);
    await s.upsertAttach({ imsi: IMSI, ip: '10.0.0.1', plmn: '24001', cell: 'c1', at });
    await s.upsertAttach({ imsi: IMSI, ip: '10.0.0.2', plmn: '24001', cell: 'c2', at: at + 1, tai: 'tai-1' });
    expect(await s.attachOf(IMSI)).toEqual({ imsi: IMSI, ip: '10.0.0.2', plmn: '24001', cell: 'c2', at: at + 1, tai: 'tai-1' });
    await s.deleteAttach(IMSI);
    expect(await s.attachOf(IMSI)).toBeUndefined();
  }));

  it('attach records carry their RADIUS session; endNasSessions takes what one NAS reported up to a time, once [RFC2866 §5.1]', () => withStore(async (s) => {
    const [a, b, c, d] = ['240011234000001', '240011234000002', '240011234000003', '240011234000004'];
    await s.upsertAttach({ imsi: a, ip: '10.0.0.1', plmn: '24001', cell: 'c1', at: 1_000, nas: '10.1.1.1/pgw-1', session: 's-a' });
    await s.upsertAttach({ imsi: b, ip: '10.0.0.2', plmn: '24001', cell: 'c1', at: 2_000, tai: 't1', nas: '10.1.1.1/pgw-1', session: 's-b' });
    await s.upsertAttach({ imsi: c, ip: '10.0.0.3', plmn: '24001', cell: 'c1', at: 1_500, nas: '10.1.1.2/pgw-2', session: 's-c' });
    await s.upsertAttach({ imsi: d, ip: '10.0.0.4', plmn: '24001', cell: 'c1', at: 1_200 }); // reported without RADIUS
    expect(await s.attachOf(b)).toEqual({ imsi: b, ip: '10.0.0.2', plmn: '24001', cell: 'c1', at: 2_000, tai: 't1', nas: '10.1.1.1/pgw-1', session: 's-b' });
    // Reported after the On's event time: a session the NAS began after it restarted, kept.
    await s.upsertAttach({ imsi: 'x', ip: '10.0.0.9', plmn: '24001', cell: 'c1', at: 9_000, nas: '10.1.1.1/pgw-1', session: 's-x' });
    // A later attach of the IMSI reported otherwise replaces the session (it is no longer that NAS's).
    await s.upsertAttach({ imsi: 'x', ip: '10.0.0.9', plmn: '24001', cell: 'c2', at: 9_500 });
    expect(await s.attachOf('x')).toEqual({ imsi: 'x', ip: '10.0.0.9', plmn: '24001', cell: 'c2', at: 9_500 });
    await s.upsertAttach({ imsi: 'y', ip: '10.0.0.8', plmn: '24001', cell: 'c1', at: 9_000, nas: '10.1.1.1/pgw-1', session: 's-y' });

    const ended = await s.endNasSessions('10.1.1.1/pgw-1', 5_000);
    expect(ended).toEqual([
      { imsi: a, ip: '10.0.0.1', plmn: '24001', cell: 'c1', at: 1_000, nas: '10.1.1.1/pgw-1', session: 's-a' },
      { imsi: b, ip: '10.0.0.2', plmn: '24001', cell: 'c1', at: 2_000, tai: 't1', nas: '10.1.1.1/pgw-1', session: 's-b' },
    ]);
    expect(await s.attachOf(a)).toBeUndefined();
    expect(await s.attachOf(b)).toBeUndefined();
    expect(await s.attachOf(c)).toMatchObject({ nas: '10.1.1.2/pgw-2' }); // another NAS
    expect(await s.attachOf(d)).toBeDefined();
    expect(await s.attachOf('y')).toMatchObject({ session: 's-y' }); // after the event time
    // A repeated On (or another core's) finds nothing left; the boundary is inclusive.
    expect(await s.endNasSessions('10.1.1.1/pgw-1', 5_000)).toEqual([]);
    expect((await s.endNasSessions('10.1.1.1/pgw-1', 9_000)).map((r) => r.imsi)).toEqual(['y']);
    expect(await s.endNasSessions('10.1.1.9', 1e15)).toEqual([]);
  }));

  it('sweepLeases deletes the lease rows lapsed before a time; a swept core still counts as lapsed', () => withStore(async (s) => {
    await s.renewLease('core-gone', 1_000);
    await s.renewLease('core-lapsed', 8_000);
    await s.renewLease('core-live', 20_000);
    await s.createProvision(prov({ pid: 'p-gone', owner: 'core-gone', state: 'COMPLETED' }));
    expect(await s.sweepLeases(5_000)).toBe(1);
    expect(await s.sweepLeases(5_000)).toBe(0);
    // The swept row and a lapsed one read alike: both cores' work is adoptable, a live core's is not.
    await s.createProvision(prov({ pid: 'p-lapsed', oid: 'o-2', owner: 'core-lapsed', state: 'COMPLETED' }));
    await s.createProvision(prov({ pid: 'p-live', oid: 'o-3', owner: 'core-live', state: 'COMPLETED' }));
    expect((await s.adoptOrphans('core-live', ['COMPLETED'], 10_000)).map((p) => p.pid).sort()).toEqual(['p-gone', 'p-lapsed']);
    // A core that comes back after its row went simply has a lease again.
    await s.renewLease('core-gone', 30_000);
    expect(await s.sweepLeases(25_000)).toBe(2); // core-lapsed, core-live
    expect(await s.sweepLeases(25_000)).toBe(0);
  }));

  it('nonces are single-use, bound to their IMSI and expire; putNonce drops expired ones', () => withStore(async (s) => {
    const n = new Uint8Array(16).fill(1);
    await s.putNonce(IMSI, n, 2000, 1000);
    expect(await s.takeNonce('240019999999999', n, 1500)).toBe(false);
    expect(await s.takeNonce(IMSI, n, 1500)).toBe(false); // the wrong-IMSI attempt burnt it
    await s.putNonce(IMSI, n, 2000, 1000);
    expect(await s.takeNonce(IMSI, n, 2000)).toBe(false); // expired at 2000
    await s.putNonce(IMSI, n, 2000, 1000);
    expect(await s.takeNonce(IMSI, n, 1999)).toBe(true);
    expect(await s.takeNonce(IMSI, n, 1999)).toBe(false);
    const old = new Uint8Array(16).fill(2);
    await s.putNonce(IMSI, old, 3000, 1000);
    await s.putNonce(IMSI, new Uint8Array(16).fill(3), 9000, 3000); // sweeps `old`
    await s.putNonce(IMSI, old, 9000, 3000); // so the same bytes may be issued again
    expect(await s.takeNonce(IMSI, old, 3001)).toBe(true);
  }));

  it('request replies: stored, replaced, and a request with no reply is still "seen"', () => withStore(async (s) => {
    expect(await s.reply(IMSI, 'prov', 'r1')).toBeUndefined();
    await s.putReply(IMSI, 'prov', 'r1', new Uint8Array([1, 2]), 1);
    expect(await s.reply(IMSI, 'prov', 'r1')).toEqual({ reply: new Uint8Array([1, 2]) });
    await s.putReply(IMSI, 'prov', 'r1', new Uint8Array([3]), 2);
    expect(await s.reply(IMSI, 'prov', 'r1')).toEqual({ reply: new Uint8Array([3]) });
    await s.putReply(IMSI, 'bye', 'r1', undefined, 3);
    expect(await s.reply(IMSI, 'bye', 'r1')).toEqual({ reply: undefined });
  }));

  it('provisions: create, patch (undefined clears), filter, insertion order on equal times', () => withStore(async (s) => {
    await s.createProvision(prov({
      pid: 'p-b', seq: 7, mfr: 'acme', services: ['cse'], leaseUntil: 5000,
      placement: { rule: 'cost', loc: 'c1', cost: 2, skipped: [{ edge: 'x', why: 'offline' }], reason: 'cost c1 -> edge-a' }, deadline: 9,
    }));
    await s.createProvision(prov({ pid: 'p-a', oid: 'o-2' })); // same created ms, inserted second
    await s.createProvision(prov({ pid: 'p-0', imsi: '240019999999999', created: 500 }));
    await s.updateProvision('p-b', { state: 'COMPLETED', deadline: undefined, svc: [{ n: 'cse', ep: 'http://x' }], roamBy: 7000, updated: 2000 });
    expect(await s.provision('p-b')).toEqual({
      pid: 'p-b', imsi: IMSI, edge: 'edge-a', state: 'COMPLETED', tid: 'acme.thermo', cls: 'acme/x', rid: 'r1', oid: 'o-1', created: 1000, updated: 2000,
      seq: 7, mfr: 'acme', services: ['cse'], leaseUntil: 5000, roamBy: 7000, svc: [{ n: 'cse', ep: 'http://x' }],
      placement: { rule: 'cost', loc: 'c1', cost: 2, skipped: [{ edge: 'x', why: 'offline' }], reason: 'cost c1 -> edge-a' },
    });
    expect((await s.provisions()).map((p) => p.pid)).toEqual(['p-0', 'p-b', 'p-a']);
    expect((await s.provisions({ imsi: IMSI })).map((p) => p.pid)).toEqual(['p-b', 'p-a']);
    expect((await s.provisions({ imsi: IMSI, state: 'STARTING' })).map((p) => p.pid)).toEqual(['p-a']);
    expect(await s.provision('p-none')).toBeUndefined();
    await expect(s.createProvision(prov({ pid: 'p-a' }))).rejects.toThrow(); // primary key
  }));

  it('orders: the signed bytes are kept and sends counted', () => withStore(async (s) => {
    await s.createOrder({ oid: 'o-1', pid: 'p-1', kind: 'deploy', edge: 'e', at: 2, bytes: new Uint8Array([1, 2, 3]) });
    await s.orderSent('o-1');
    await s.orderSent('o-1');
    expect(await s.order('o-1')).toEqual({ oid: 'o-1', pid: 'p-1', kind: 'deploy', edge: 'e', at: 2, bytes: new Uint8Array([1, 2, 3]), sends: 3 });
    await s.createOrder({ oid: 'o-2', pid: 'p-1', kind: 'remove', edge: 'e', at: 3 });
    expect(await s.order('o-2')).toEqual({ oid: 'o-2', pid: 'p-1', kind: 'remove', edge: 'e', at: 3, sends: 1 });
  }));

  it('charging: open is idempotent per (pid, service), close never ends before start, range = overlap', () => withStore(async (s) => {
    await s.openCharging([{ imsi: IMSI, pid: 'p-1', service: 'a', edge: 'e', start: 1000 }, { imsi: IMSI, pid: 'p-1', service: 'b', edge: 'e', start: 1000 }]);
    await s.openCharging([{ imsi: IMSI, pid: 'p-1', service: 'a', edge: 'e', start: 1500 }]);
    await s.openCharging([{ imsi: IMSI, pid: 'p-2', service: 'a', edge: 'e', start: 5000 }]);
    await s.openCharging([]);
    await s.closeCharging('p-1', 900); // a clock stepped back: stop = start
    await s.closeCharging('p-1', 9999); // already closed
    expect(await s.charging()).toEqual([
      { imsi: IMSI, pid: 'p-1', service: 'a', edge: 'e', start: 1000, stop: 1000 },
      { imsi: IMSI, pid: 'p-1', service: 'b', edge: 'e', start: 1000, stop: 1000 },
      { imsi: IMSI, pid: 'p-2', service: 'a', edge: 'e', start: 5000 },
    ]);
    expect((await s.charging({ from: 1001 })).map((r) => r.pid)).toEqual(['p-2']);
    expect((await s.charging({ to: 5000 })).map((r) => r.pid)).toEqual(['p-1', 'p-1']);
  }));

  it('sweep: answered requests and the orders of finished provisions go by age; claims, live orders and provisions stay', () => withStore(async (s) => {
    await s.putReply(IMSI, 'hello', 'old', new Uint8Array([1]), 1_000);
    await s.putReply(IMSI, 'hello', 'new', new Uint8Array([2]), 9_000);
    expect(await s.claimRequest(IMSI, 'prov', 'claimed', 'core-a', 1_000)).toEqual({ kind: 'new' });
    await s.createProvision(prov({ pid: 'p-live', oid: 'o-live', state: 'COMPLETED' }));
    await s.createProvision(prov({ pid: 'p-going', oid: 'o-going', state: 'REMOVING' }));
    await s.createProvision(prov({ pid: 'p-done', oid: 'o-done', state: 'REMOVED' }));
    for (const [oid, pid, at] of [['o-live', 'p-live', 1_000], ['o-going', 'p-going', 1_000], ['o-done', 'p-done', 1_000], ['o-old-deploy', 'p-going', 1_000], ['o-recent', 'p-done', 9_000]] as const) {
      await s.createOrder({ oid, pid, kind: 'deploy', edge: 'edge-a', at });
    }
    expect(await s.sweep(5_000)).toEqual({ requests: 1, orders: 2 });
    expect(await s.reply(IMSI, 'hello', 'old')).toBeUndefined();
    expect(await s.reply(IMSI, 'hello', 'new')).toEqual({ reply: new Uint8Array([2]) });
    expect(await s.claimRequest(IMSI, 'prov', 'claimed', 'core-a', 9_000)).toEqual({ kind: 'new' }); // still ours
    expect(await s.order('o-done')).toBeUndefined();
    expect(await s.order('o-old-deploy')).toBeUndefined();
    for (const oid of ['o-live', 'o-going', 'o-recent']) expect(await s.order(oid), oid).toBeDefined();
    expect(await s.provision('p-done')).toBeDefined();
    expect(await s.sweep(5_000)).toEqual({ requests: 0, orders: 0 });
  }));

  it('sweep: a timed-out deploy\'s clean-up remove stays while it is re-sent, whatever the retention; an ended or long-expired one goes', () => withStore(async (s) => {
    await s.createProvision(prov({ pid: 'p-clean', oid: 'o-clean', state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: 20_000 }));
    await s.createProvision(prov({ pid: 'p-expired', oid: 'o-expired', state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: 2_000 }));
    await s.createProvision(prov({ pid: 'p-ended', oid: 'o-ended', state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: 20_000, endWhy: 'bye' }));
    for (const [oid, pid] of [['o-clean', 'p-clean'], ['o-expired', 'p-expired'], ['o-ended', 'p-ended']] as const) {
      await s.createOrder({ oid, pid, kind: 'remove', edge: 'edge-a', at: 1_000 });
    }
    expect(await s.sweep(5_000)).toEqual({ requests: 0, orders: 2 });
    expect(await s.order('o-clean')).toBeDefined();
    expect(await s.order('o-expired')).toBeUndefined();
    expect(await s.order('o-ended')).toBeUndefined();
  }));

  it('tx: all or nothing; calls on the transaction see its own writes', () => withStore(async (s) => {
    await expect(s.tx(async (tx) => {
      await tx.createProvision(prov());
      expect(await tx.provision('p-1')).toBeDefined();
      await tx.putReply(IMSI, 'prov', 'r1', new Uint8Array([1]), 1);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await s.provision('p-1')).toBeUndefined();
    expect(await s.reply(IMSI, 'prov', 'r1')).toBeUndefined();
    const n = await s.tx(async (tx) => {
      await tx.createProvision(prov());
      await tx.tx(async (inner) => inner.createOrder({ oid: 'o-1', pid: 'p-1', kind: 'deploy', edge: 'e', at: 1 })); // nested joins
      return 42;
    });
    expect(n).toBe(42);
    expect(await s.order('o-1')).toBeDefined();
    expect(await s.provision('p-1')).toBeDefined();
  }));

  it('tx: a call made outside an open transaction neither joins it nor goes down with it', () => withStore(async (s) => {
    // SQLite has one connection: a statement run on it while another caller's transaction is
    // open would land in that transaction (the store's direct path must wait, kysely.ts).
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let entered!: () => void;
    const inside = new Promise<void>((r) => { entered = r; });
    const failing = s.tx(async (tx) => {
      await tx.createProvision(prov());
      entered();
      await gate;
      throw new Error('boom');
    });
    await inside;
    const outside = s.putReply(IMSI, 'prov', 'r9', new Uint8Array([9]), 1);
    release();
    await expect(failing).rejects.toThrow('boom');
    await outside;
    expect(await s.provision('p-1')).toBeUndefined();
    expect(await s.reply(IMSI, 'prov', 'r9')).toEqual({ reply: new Uint8Array([9]) });
  }));

  it('persists: a second store on the same database sees the data and does not re-run migrations', () => withStore(async (s, u) => {
    await s.addSubscriber({ imsi: IMSI, iccid: '894601' });
    if (u === 'sqlite::memory:') return; // a memory database is private to its store
    const again = openStore(u);
    try {
      expect(await again.subscriber(IMSI)).toEqual({ imsi: IMSI, iccid: '894601', status: 'active' });
    } finally {
      await again.close();
    }
  }));

  it('a closed store refuses further calls', async () => {
    const s = openStore(await url());
    await s.close();
    await expect(s.subscriber(IMSI)).rejects.toThrow(/closed/);
    await s.close(); // idempotent
  });
});

describe('two cores on one PostgreSQL', () => {
  it('first opens race: both migrate without error and see one schema', async () => {
    const u = await stores.pgDatabase();
    const [a, b] = [openStore(u), openStore(u)];
    try {
      await Promise.all([a.init(), b.init()]);
      await a.addSubscriber({ imsi: IMSI, iccid: '1' });
      expect(await b.subscriber(IMSI)).toMatchObject({ iccid: '1' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('exactly one takes a nonce; concurrent seq raises leave the highest', async () => {
    const u = await stores.pgDatabase();
    const [a, b] = [openStore(u), openStore(u)];
    try {
      await Promise.all([a.init(), b.init()]);
      const nonces = Array.from({ length: 20 }, (_, i) => new Uint8Array(16).fill(i + 1));
      for (const n of nonces) await a.putNonce(IMSI, n, 10_000, 1);
      for (const n of nonces) {
        const got = await Promise.all([a.takeNonce(IMSI, n, 2), b.takeNonce(IMSI, n, 2)]);
        expect(got.filter(Boolean)).toHaveLength(1);
      }
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).raiseTemplateSeq('acme', 't', (i * 37) % 101)));
      expect(await a.templateSeq('acme', 't')).toBe(Math.max(...Array.from({ length: 40 }, (_, i) => (i * 37) % 101)));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('two cores ending one NAS\'s sessions at once: each attach record goes to exactly one [RFC2866 §5.1]', async () => {
    const u = await stores.pgDatabase();
    const [a, b] = [openStore(u), openStore(u)];
    try {
      await Promise.all([a.init(), b.init()]);
      const imsis = Array.from({ length: 200 }, (_, i) => `24001123${String(i).padStart(7, '0')}`);
      await a.tx(async (tx) => {
        for (const [i, imsi] of imsis.entries()) await tx.upsertAttach({ imsi, ip: '10.0.0.1', plmn: '24001', cell: 'c1', at: 1_000 + i, nas: 'pgw', session: `s-${i}` });
      });
      const [ga, gb] = await Promise.all([a.endNasSessions('pgw', 10_000), b.endNasSessions('pgw', 10_000)]);
      const got = [...ga, ...gb].map((r) => r.imsi).sort();
      expect(got).toEqual(imsis);
      expect(await a.endNasSessions('pgw', 10_000)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('openStore picks the dialect from the URL; other schemes are refused', async () => {
    const s = openStore('sqlite::memory:');
    expect(s).toBeInstanceOf(KyselyStore);
    expect(s.kind).toBe('sqlite');
    await s.close();
    const p = openStore(await stores.pgDatabase());
    expect(p.kind).toBe('postgres');
    await p.close();
    expect(() => openStore('mysql://localhost/x')).toThrow(TypeError);
    expect(() => openStore('')).toThrow(TypeError);
  });
});
