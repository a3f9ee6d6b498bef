// Capacity with deploys in flight [issue 4 item 3; README "Placement"]: an edge's retained status
// shows what runs on it when it was composed, so placement also subtracts what this core's deploys
// still in flight will take (EdgeTable holds, edges.ts).
// A burst of `prov`s for one edge before it republishes its status must not overbook it, and a
// status that already shows a provision must not count it a second time. Real broker (aedes),
// real core on SQLite, scripted edges (harness.ts).
import { encodeMsg, topics, type DownMsg, type EdgeStatus, type ServiceSpec } from '@simedge/device-sdk/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeTable } from '../src/edges.js';
import { CELL_A, ICCID, downOf, startWorld, type TestEdge, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const imsiOf = (i: number) => `2400112340001${String(i).padStart(2, '0')}`;

/** Subscribers attached in CELL_A (mapped to edge-a), besides the harness's own IMSI. */
async function devices(world: World, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const imsi = imsiOf(i);
    await world.core.store.addSubscriber({ imsi, iccid: `${ICCID.slice(0, -2)}${String(i).padStart(2, '0')}` });
    await world.core.attach({ imsi, ip: `10.45.1.${i + 1}`, plmn: '24001', cell: CELL_A, at: world.clock.ms });
    out.push(imsi);
  }
  return out;
}

/** A retained status with its own time `at` (the core clock's scale), taken by the core before this resolves. */
async function status(world: World, edge: TestEdge, at: number, cap: EdgeStatus['cap'], used: EdgeStatus['used']): Promise<void> {
  const s: EdgeStatus = { t: 'status', edge: edge.id, online: true, at, cells: [], cap, used, inst: 0 };
  await edge.client.publishAsync(topics.edgeStatus(edge.id), Buffer.from(encodeMsg(s)), { qos: 1, retain: true });
  await world.marker(); // aedes hands the status to the core before it acks the publisher
  expect(world.core.edges.get(edge.id)).toMatchObject({ at, used });
}

/** hello for each device, then all their `prov`s published at once; the answers by device. */
async function burst(world: World, imsis: string[], tpl: Uint8Array, tag: string): Promise<DownMsg[]> {
  const nonces: Uint8Array[] = [];
  for (const imsi of imsis) nonces.push(await world.hello(`${tag}-h-${imsi}`, imsi));
  const from = world.obs.all.length;
  imsis.forEach((imsi, i) => world.up({ t: 'prov', rid: `${tag}-${imsi}`, imsi, nonce: nonces[i]!, tpl }, imsi));
  return Promise.all(imsis.map((imsi) => world.obs.waitFor((r) =>
    downOf(imsi, 'acc', (m) => m.rid === `${tag}-${imsi}`)(r) ?? downOf(imsi, 'rej', (m) => m.rid === `${tag}-${imsi}`)(r), `answer ${tag} ${imsi}`, from)));
}

async function oneProv(world: World, imsi: string, tpl: Uint8Array, rid: string): Promise<DownMsg> {
  return (await burst(world, [imsi], tpl, rid))[0]!;
}

const PRIVATE: ServiceSpec[] = [{ n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret'], share: 'device', res: { cpu: 0.5, mem: 64 } }];

describe('placement counts deploys in flight [step 204]', () => {
  it('a burst before the edge republishes fills it exactly; once a status shows them they are not counted twice', async () => {
    w = await startWorld();
    const world = w;
    const imsis = await devices(world, 6);
    const tpl = world.template({ svc: PRIVATE });
    world.edgeA.auto = false;
    // Room for exactly 3 of 0.5 CPU: cap 2, 0.5 in use by something else. Composed before the burst.
    await status(world, world.edgeA, world.clock.ms - 1000, { cpu: 2, mem: 4096 }, { cpu: 0.5, mem: 0 });

    const answers = await burst(world, imsis.slice(0, 4), tpl, 'b');
    expect(answers.slice(0, 3).map((m) => m.t === 'acc' && m.edge)).toEqual(['edge-a', 'edge-a', 'edge-a']);
    expect(answers[3]).toMatchObject({ t: 'rej', code: 'NO_CAPACITY' }); // no fallback edge configured
    await world.marker();
    const deploys = world.edgeA.orders.filter((o) => o.t === 'deploy');
    expect(deploys).toHaveLength(3);
    expect(world.edgeB.orders).toEqual([]);
    const rejected = world.traces.filter((t) => t.ev === 'rejected');
    expect(rejected.map((t) => t.detail)).toEqual(['NO_CAPACITY']);

    // The edge starts them and says ready; its status is not republished yet (the ready overtook
    // it): the old status does not show them, so they still count.
    world.clock.ms += 1000;
    for (const d of deploys) {
      world.edgeA.send({ t: 'rcvd', oid: d.oid, pid: d.pid, edge: 'edge-a' });
      world.edgeA.send({ t: 'ready', oid: d.oid, pid: d.pid, edge: 'edge-a', svc: world.edgeA.svc });
    }
    for (const d of deploys) await world.obs.waitFor(downOf(d.imsi, 'ready', (m) => m.pid === d.pid), `ready ${d.pid}`);
    for (const d of deploys) expect((await world.core.store.provision(d.pid))?.state).toBe('COMPLETED');
    expect(await oneProv(world, imsis[3]!, tpl, 'early')).toMatchObject({ t: 'rej', code: 'NO_CAPACITY' });

    // The status the edge composed once it had started them (after the deploys were ordered,
    // before it answered ready, as edge-agent does) arrives: its three instances (1.5 CPU), the
    // other load gone, 0.5 free. The next request is judged on that status alone: it fits, with
    // nothing counted a second time although the readies are newer than the status.
    await status(world, world.edgeA, world.clock.ms - 500, { cpu: 2, mem: 4096 }, { cpu: 1.5, mem: 3 * 64 });
    expect(await oneProv(world, imsis[4]!, tpl, 'after')).toMatchObject({ t: 'acc', edge: 'edge-a' });
    // ...and that one is in flight now: the edge is full again.
    expect(await oneProv(world, imsis[5]!, tpl, 'full')).toMatchObject({ t: 'rej', code: 'NO_CAPACITY' });
  });

  it('a class-shared service in flight is held once per class and edge; private ones once per device', async () => {
    w = await startWorld();
    const world = w;
    const imsis = await devices(world, 3);
    // A shared CSE (one instance per class on the edge) and a private function per device.
    const tpl = world.template({ svc: [
      { n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret'], share: 'class', res: { cpu: 0.1, mem: 32 } },
      { n: 'onem2m-cse', ver: '^1', fns: ['sub'], share: 'device', res: { cpu: 0.5, mem: 16 } },
    ] });
    world.edgeA.auto = false;
    // 1.75 CPU: held once, the shared CSE leaves room for three devices (0.1 + 3 x 0.5 = 1.6, and
    // each check asks 0.6); held per device it would not (0.6 x 2 = 1.2 held, 0.55 free).
    await status(world, world.edgeA, world.clock.ms - 1000, { cpu: 1.75, mem: 4096 }, { cpu: 0, mem: 0 });
    const answers = await burst(world, imsis, tpl, 'c');
    expect(answers.map((m) => m.t)).toEqual(['acc', 'acc', 'acc']);
    // ...and the edge is full now: a fourth device of the class is refused.
    const [fourth] = await devices(world, 4).then((all) => all.slice(3));
    expect(await oneProv(world, fourth!, tpl, 'c4')).toMatchObject({ t: 'rej', code: 'NO_CAPACITY' });
  });
});

describe('EdgeTable holds (edges.ts)', () => {
  const status = (at: number, used = 0): Parameters<EdgeTable['update']>[0] =>
    ({ t: 'status', edge: 'e', online: true, at, cells: [], cap: { cpu: 4, mem: 1024 }, used: { cpu: used, mem: 0 }, inst: 0 });
  const used = (t: EdgeTable) => t.forPlacement()[0]?.used.cpu;

  it('holds from the order until a failure or removal, or once ready until a status newer than the deploy', () => {
    const t = new EdgeTable();
    t.update(status(1000));
    t.holdFor('p1', 'e', { cpu: 1, mem: 0, shared: [] }, 2000);
    t.holdFor('p1', 'e', { cpu: 1, mem: 0, shared: [] }, 2000); // a repeat holds nothing more
    t.holdFor('p2', 'e', { cpu: 0.5, mem: 0, shared: [] }, 2000);
    expect(used(t)).toBe(1.5);
    t.update(status(3000, 1)); // not ready yet: still held (may count twice until ready, never less)
    expect(used(t)).toBe(2.5);
    t.readyFor('p1');
    t.update(status(1500, 1)); // older than the deploy: it cannot show p1
    expect(used(t)).toBe(2.5);
    t.update(status(2500, 1)); // newer: p1 is in its used
    expect(used(t)).toBe(1.5);
    t.release('p2');
    t.release('p2');
    expect(used(t)).toBe(1);
    expect(t.list()[0]?.used.cpu).toBe(1); // what the admin API shows is the edge's own status
  });

  it('a shared service is held while any holder of its class is in flight', () => {
    const t = new EdgeTable();
    t.update(status(1000));
    const need = { cpu: 0.5, mem: 0, shared: [{ key: 'acme/x/cse', cpu: 0.1, mem: 0 }] };
    t.holdFor('a', 'e', need, 2000);
    t.holdFor('b', 'e', need, 2000);
    expect(used(t)).toBeCloseTo(1.1);
    t.release('a');
    expect(used(t)).toBeCloseTo(0.6);
    t.release('b');
    expect(used(t)).toBe(0);
  });
});
