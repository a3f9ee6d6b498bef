// Scale-out on engines operators already run [issue 4 item 8; DESIGN "shared subscriptions"]:
// two core validator processes (the daemon, real child processes) on one real PostgreSQL behind
// a real Mosquitto 2 with MQTT v5 shared subscriptions, two test edges and 1,000 devices, each
// with its own MQTT connection, doing hello -> chal -> prov -> acc -> ready (and bye -> term for
// some). Wave 1 shows the work split and every request handled exactly once; in wave 2 every
// device re-provisions (make-before-break: the old provision ends with term 'roam') while one core
// is SIGKILLed half-way, and nothing is lost: the other core, the devices' same-rid retries and the
// takeover of the dead core's provisions after its lease lapses finish the work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, type CoreProcess } from './core-process.js';
import { provision as provisionOne, startEngines, startRun, TOKEN, type Engines, type Run } from './rig.js';

/** Devices (SIMEDGE_SCALE_N only to debug with fewer). */
const N = Number(process.env.SIMEDGE_SCALE_N ?? 1000);
const BYE = N / 10;
const LEASE_MS = 1500;
/** A device re-sends an unanswered request (same rid) after this long, doubling. */
const RETRY_MS = 3000;
const TRIES = 8;
/**
 * Failure guards only (a wait that normally ends in seconds): wide enough that a CI machine under
 * load is not mistaken for a lost message. 20 s tripped once on a machine running other test
 * processes at the same time, where wave 1 took about twice its usual 14 s.
 */
const GUARD_MS = 60_000;

let engines: Engines;
let run: Run;
let cores: CoreProcess[] = [];
let edges: Run['edges'] = [];
let devices: Run['devices'] = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  const t0 = performance.now();
  engines = await startEngines(GUARD_MS);
  timings.pgStartMs = engines.pg.startMs;
  timings.bundleMs = engines.bundle.buildMs;
  run = await startRun(engines, { n: N, cores: 2, leaseMs: LEASE_MS, guardMs: GUARD_MS });
  ({ cores, edges, devices } = run);
  timings.coreStartMs = run.coreStartMs;
  timings.connectMs = run.connectMs;
  timings.setupMs = performance.now() - t0;
}, 120_000);

afterAll(async () => {
  await run?.close();
  await engines?.stop();
}, 30_000);

const provision = (i: number, wave: string) => provisionOne(run, i, wave, RETRY_MS, TRIES, GUARD_MS);

async function rows(): Promise<{ imsi: string; pid: string; state: string; owner?: string }[]> {
  return (await run.store.provisions()).map((p) => ({ imsi: p.imsi, pid: p.pid, state: p.state, ...(p.owner !== undefined && { owner: p.owner }) }));
}

/** Every request of the wave got exactly one answer: copies of it (retries) are byte-identical. */
function expectOneAnswerEach(rids: string[]): void {
  const bad = devices.flatMap((d) => rids.filter((rid) => d.answersTo(rid).length !== 1).map((rid) => `${d.imsi} ${rid}: ${d.answersTo(rid).length}`));
  expect(bad).toEqual([]);
}

const wave1: string[] = [];

describe('scale-out: 2 core processes, Mosquitto shared subscriptions, PostgreSQL, 1,000 devices', () => {
  it('wave 1: the cores split the work, every request is answered exactly once, one provision per device', async () => {
    const t0 = performance.now();
    wave1.push(...await Promise.all(devices.map((_, i) => provision(i, 'w1'))));
    timings.wave1Ms = performance.now() - t0;

    // Both processes handled a share; together every hello and prov exactly once.
    const prov = await Promise.all(cores.map((c) => metric(c, TOKEN, 'simedge_core_requests_total', { type: 'prov', code: 'OK' })));
    const hello = await Promise.all(cores.map((c) => metric(c, TOKEN, 'simedge_core_requests_total', { type: 'hello', code: 'OK' })));
    const ready = await Promise.all(cores.map((c) => metric(c, TOKEN, 'simedge_core_requests_total', { type: 'ready', code: 'OK' })));
    timings.provA = prov[0] as number;
    timings.provB = prov[1] as number;
    for (const n of [...prov, ...hello]) expect(n).toBeGreaterThan(N / 10);
    expect(prov.reduce((a, b) => a + b)).toBe(N);
    expect(hello.reduce((a, b) => a + b)).toBe(N);
    expect(ready.reduce((a, b) => a + b)).toBe(N);
    expectOneAnswerEach(['w1h', 'w1p']);
    for (const [i, d] of devices.entries()) expect(new Set(d.all('ready').map((m) => m.pid))).toEqual(new Set([wave1[i]]));

    const db = await rows();
    expect(db).toHaveLength(N);
    expect(new Set(db.map((r) => r.imsi)).size).toBe(N);
    expect(db.every((r) => r.state === 'COMPLETED')).toBe(true);
    // No second deployment: one deploy order id per provision at the edges, all signed by the core.
    const deploys = edges.flatMap((e) => [...e.deploys.entries()]);
    expect(deploys).toHaveLength(N);
    expect(deploys.filter(([, oids]) => oids.size !== 1)).toEqual([]);
    expect(edges.flatMap((e) => e.badOrders)).toEqual([]);

    // Some devices leave: bye -> term 'bye', handled once.
    await Promise.all(devices.slice(0, BYE).map((d, i) => d.request({ t: 'bye', rid: 'w1b', imsi: d.imsi, why: 'off' },
      (m) => (m.t === 'term' && m.pid === wave1[i] ? m : undefined), RETRY_MS, TRIES)));
    const removed = await Promise.all(cores.map((c) => metric(c, TOKEN, 'simedge_core_requests_total', { type: 'removed', code: 'OK' })));
    expect(removed.reduce((a, b) => a + b)).toBe(BYE);
    for (const d of devices.slice(0, BYE)) expect(d.all('term').map((m) => m.why)).toEqual(['bye']);
    const after = await rows();
    expect(after.filter((r) => r.state === 'REMOVED').map((r) => r.imsi).sort()).toEqual(devices.slice(0, BYE).map((d) => d.imsi).sort());
  }, 180_000);

  it('wave 2: one core is SIGKILLed half-way; the other, same-rid retries and the lease takeover lose nothing', async () => {
    const [victim, survivor] = cores as [CoreProcess, CoreProcess];
    let killedAt = -1;
    let killed: Promise<void> | undefined;
    // Kill when a third of the wave's deployments reached the edges: work is in flight on both cores.
    const total = () => edges.reduce((n, e) => n + e.deploys.size, 0);
    for (const e of edges) {
      e.watchDeploys(() => {
        if (killed || total() < N + N / 3) return;
        killedAt = total() - N;
        killed = victim.kill('SIGKILL');
      });
    }
    const t0 = performance.now();
    const pids = await Promise.all(devices.map((_, i) => provision(i, 'w2')));
    // The devices that still held a wave-1 provision get it ended once the new one is ready (make-before-break).
    await Promise.all(devices.slice(BYE).map((d, k) => d.notice((m) => (m.t === 'term' && m.pid === wave1[BYE + k] ? m : undefined), GUARD_MS, 'term roam')));
    timings.wave2Ms = performance.now() - t0;
    await killed;
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(N);
    expect(victim.proc.signalCode).toBe('SIGKILL');
    timings.killedAfterDeploys = killedAt;

    expectOneAnswerEach(['w2h', 'w2p']);
    for (const [i, d] of devices.entries()) {
      expect(new Set(d.all('ready').map((m) => m.pid))).toEqual(new Set([wave1[i], pids[i]]));
      expect(d.all('rej')).toEqual([]);
      if (i >= BYE) expect(new Set(d.all('term').map((m) => `${m.pid} ${m.why}`))).toEqual(new Set([`${wave1[i]} roam`]));
    }
    const db = await rows();
    expect(db).toHaveLength(2 * N);
    const live = db.filter((r) => r.state === 'COMPLETED');
    expect(live.map((r) => r.pid).sort()).toEqual([...pids].sort());
    expect(db.filter((r) => r.state !== 'COMPLETED' && r.state !== 'REMOVED')).toEqual([]);
    // Every live provision ends up running its timers (lease) on the survivor: its own, or
    // adopted from the dead core once that core's lease lapsed (polled, bounded by a guard).
    const deadline = Date.now() + 4 * LEASE_MS + GUARD_MS / 4;
    let owners = new Set(live.map((r) => r.owner));
    while (owners.size !== 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      owners = new Set((await rows()).filter((r) => r.state === 'COMPLETED').map((r) => r.owner));
    }
    expect(owners.size).toBe(1);
    expect(await metric(survivor, TOKEN, 'simedge_core_requests_total', { type: 'prov', code: 'OK' })).toBeGreaterThan(timings.provB as number);

    const deploys = edges.flatMap((e) => [...e.deploys.entries()]);
    expect(deploys).toHaveLength(2 * N);
    expect(deploys.filter(([, oids]) => oids.size !== 1)).toEqual([]);
    const removes = edges.flatMap((e) => [...e.removes.entries()]);
    expect(removes).toHaveLength(N);
    expect(removes.filter(([, oids]) => oids.size !== 1)).toEqual([]);
    expect(edges.flatMap((e) => e.badOrders)).toEqual([]);
    timings.retries = devices.reduce((n, d) => n + d.retries, 0);
    console.log(`scale-out: ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
  }, 180_000);
});
