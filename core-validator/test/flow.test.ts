// The provisioning flow end to end through a real broker [DESIGN "The flow", FIG. 2 steps 203-210]:
// device and edges are plain MQTT clients scripted by the test; the core is the real thing.
import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '@simedge/device-sdk/wire';
import { CELL_B, IMSI, downOf, startWorld, closeChecked, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await closeChecked(w);
  w = undefined;
});

describe('provisioning flow [FIG. 2 203-210]', () => {
  it('hello -> chal -> prov -> acc -> signed deploy -> rcvd/ready -> device ready; bye -> remove -> removed -> term', async () => {
    w = await startWorld();
    const nonce = await w.hello('h1');
    expect(nonce.length).toBe(16);
    const acc = await w.prov('p1', nonce, w.template());
    expect(acc).toMatchObject({ t: 'acc', rid: 'p1', edge: 'edge-a' });
    if (acc.t !== 'acc') throw new Error('unreachable');

    // [205] the order verified against the core public key (TestEdge checks) and carries the template's services
    const deploy = await w.edgeA.nextOrder('deploy');
    expect(deploy).toMatchObject({ pid: acc.pid, edge: 'edge-a', imsi: IMSI, cls: 'acme/thermo-nb1', tid: 'acme.thermo' });
    expect(deploy.svc[0]?.n).toBe('onem2m-cse');
    expect(deploy.exp - deploy.iat).toBe(60);

    // [206, 207] the edge answers; the device gets ready with the edge's endpoints
    const ready = await w.obs.waitFor(downOf(IMSI, 'ready'), 'device ready');
    expect(ready).toEqual({ t: 'ready', pid: acc.pid, edge: 'edge-a', svc: w.edgeA.svc });
    await w.core.idle();
    expect(await w.core.store.provisions({ imsi: IMSI })).toMatchObject([{ pid: acc.pid, state: 'COMPLETED', edge: 'edge-a', tid: 'acme.thermo' }]);

    // [208-210]
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    const remove = await w.edgeA.nextOrder('remove');
    expect(remove).toMatchObject({ pid: acc.pid, imsi: IMSI, edge: 'edge-a' });
    const term = await w.obs.waitFor(downOf(IMSI, 'term'), 'term');
    expect(term).toEqual({ t: 'term', pid: acc.pid, why: 'bye' });
    await w.core.idle();
    expect((await w.core.store.provisions({ imsi: IMSI }))[0]?.state).toBe('REMOVED');

    const steps = w.traces.filter((t) => t.step !== undefined).map((t) => `${t.step}:${t.ev}`);
    expect(steps).toEqual([
      '203:hello', '203:chal', '203:prov', '204:validated', '205:deploy-order', '206:rcvd', '207:ready',
      '208:bye', '209:remove-order', '210:removed', '210:term',
    ]);
  });

  it('operation deadline: no edge answer -> FAILED_TEMP and rej TIMEOUT, plus a cleanup remove order', async () => {
    w = await startWorld({ opTimeoutMs: 150 });
    w.edgeA.auto = false;
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    const rej = await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT');
    expect(rej.code).toBe('TIMEOUT');
    expect(await w.core.store.provision(acc.pid)).toMatchObject({ state: 'FAILED_TEMP', code: 'TIMEOUT' });
    const cleanup = await w.edgeA.nextOrder('remove');
    expect(cleanup.pid).toBe(acc.pid);
    await w.core.idle();
    // a late ready for the timed-out order changes nothing and reaches no device
    const deploy = await w.edgeA.nextOrder('deploy');
    w.edgeA.send({ t: 'ready', oid: deploy.oid, pid: deploy.pid, edge: 'edge-a', svc: [] });
    await w.marker();
    expect(w.obs.down().filter((m) => m.t === 'ready')).toEqual([]);
    expect((await w.core.store.provision(acc.pid))?.state).toBe('FAILED_TEMP');
    // a redelivered prov now gets the failure, not the stale acc
    expect(await w.prov('p1', new Uint8Array(16), w.template())).toMatchObject({ t: 'rej', code: 'TIMEOUT' });
  });

  it('edge fail -> FAILED and rej with the edge code', async () => {
    w = await startWorld();
    w.edgeA.auto = false;
    const acc = await w.provision('p1');
    const deploy = await w.edgeA.nextOrder('deploy');
    w.edgeA.send({ t: 'fail', oid: deploy.oid, pid: deploy.pid, edge: 'edge-a', code: 'DEPLOY_FAILED', msg: 'image pull failed' });
    const rej = await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej');
    expect(rej).toMatchObject({ code: 'DEPLOY_FAILED', msg: 'image pull failed' });
    if (acc.t !== 'acc') throw new Error('unreachable');
    expect(await w.core.store.provision(acc.pid)).toMatchObject({ state: 'FAILED', code: 'DEPLOY_FAILED' });
    await w.core.idle();
  });

  it('roaming is make-before-break: the old edge is removed only after the new one is ready, then term roam', async () => {
    w = await startWorld();
    const first = await w.provision('p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'first ready');
    if (first.t !== 'acc') throw new Error('unreachable');

    await w.core.attach({ imsi: IMSI, ip: '10.45.0.9', plmn: '24001', cell: CELL_B, at: w.clock.ms + 1 });
    w.edgeB.auto = false;
    const second = await w.provision('p2');
    expect(second).toMatchObject({ t: 'acc', edge: 'edge-b' });
    if (second.t !== 'acc') throw new Error('unreachable');
    const deploy = await w.edgeB.nextOrder('deploy');
    w.edgeB.send({ t: 'rcvd', oid: deploy.oid, pid: deploy.pid, edge: 'edge-b' });
    await w.waitTrace('rcvd', 'edge-b');
    await w.marker();
    // before the new edge is ready, the old provision stays up
    expect(w.edgeA.orders.filter((o) => o.t === 'remove')).toEqual([]);

    w.edgeB.send({ t: 'ready', oid: deploy.oid, pid: deploy.pid, edge: 'edge-b', svc: w.edgeB.svc });
    const remove = await w.edgeA.nextOrder('remove');
    expect(remove.pid).toBe(first.pid);
    const term = await w.obs.waitFor(downOf(IMSI, 'term'), 'term roam');
    expect(term).toEqual({ t: 'term', pid: first.pid, why: 'roam' });
    const readies = w.obs.down().filter((m) => m.t === 'ready');
    expect(readies.map((m) => m.t === 'ready' && m.pid)).toEqual([first.pid, second.pid]);
    await w.core.idle();
    expect((await w.core.store.provision(first.pid))?.state).toBe('REMOVED');
    expect((await w.core.store.provision(second.pid))?.state).toBe('COMPLETED');
  });

  it('detach from the network tears down the provisions (term detach) and drops the attach record', async () => {
    w = await startWorld();
    const acc = await w.provision('p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    if (acc.t !== 'acc') throw new Error('unreachable');
    await w.core.detach({ imsi: IMSI, at: w.clock.ms + 1 });
    expect(await w.core.store.attachOf(IMSI)).toBeUndefined();
    expect((await w.edgeA.nextOrder('remove')).pid).toBe(acc.pid);
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid: acc.pid, why: 'detach' });
    await w.core.idle();
    expect(w.traces.some((t) => t.step === 208 && t.ev === 'detach')).toBe(true);
    // and a new prov is refused until the network reports an attach again
    expect(await w.provision('p2')).toMatchObject({ t: 'rej', code: 'NO_ATTACH' });
  });

  it('a stale detach (older than the current attach) is ignored', async () => {
    w = await startWorld();
    await w.core.detach({ imsi: IMSI, at: w.clock.ms - 1 });
    expect(await w.core.store.attachOf(IMSI)).toBeDefined();
  });
});

describe('idempotency (QoS 1 redelivery)', () => {
  it('a duplicate prov with the same rid gets the same acc and causes one order only', async () => {
    w = await startWorld();
    w.edgeA.auto = false;
    const nonce = await w.hello('h1');
    const tpl = w.template();
    const a1 = await w.prov('p1', nonce, tpl);
    const a2 = await w.prov('p1', nonce, tpl);
    expect(a2).toEqual(a1);
    await w.marker();
    expect(w.obs.orders()).toHaveLength(1);
    expect(await w.core.store.provisions()).toHaveLength(1);
  });

  it('a duplicate hello gets the same nonce; a duplicate bye sends no second remove order', async () => {
    w = await startWorld();
    const n1 = await w.hello('h1');
    const n2 = await w.hello('h1');
    expect(n2).toEqual(n1);
    await w.prov('p1', n1, w.template());
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    await w.obs.waitFor(downOf(IMSI, 'term'), 'term');
    const from = w.obs.all.length;
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    // the redelivered bye is answered with the term again...
    await w.obs.waitFor(downOf(IMSI, 'term'), 'term again', from);
    await w.marker();
    // ...and no second remove order
    expect(w.edgeA.orders.filter((o) => o.t === 'remove')).toHaveLength(1);
  });

  it('repeated edge events for the same order are ignored (one ready to the device)', async () => {
    w = await startWorld();
    w.edgeA.auto = false;
    await w.provision('p1');
    const d = await w.edgeA.nextOrder('deploy');
    for (let i = 0; i < 3; i++) w.edgeA.send({ t: 'rcvd', oid: d.oid, pid: d.pid, edge: 'edge-a' });
    for (let i = 0; i < 3; i++) w.edgeA.send({ t: 'ready', oid: d.oid, pid: d.pid, edge: 'edge-a', svc: w.edgeA.svc });
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.marker();
    expect(w.obs.down().filter((m) => m.t === 'ready')).toHaveLength(1);
    expect(w.traces.filter((t) => t.ev === 'rcvd')).toHaveLength(1);
  });

  it('an edge cannot answer for another edge\'s order', async () => {
    w = await startWorld();
    w.edgeA.auto = false;
    await w.provision('p1');
    const d = await w.edgeA.nextOrder('deploy');
    w.edgeB.send({ t: 'ready', oid: d.oid, pid: d.pid, edge: 'edge-b', svc: [] });
    await w.waitTrace('dropped');
    await w.marker();
    expect(w.obs.down().filter((m) => m.t === 'ready')).toEqual([]);
    expect((await w.core.store.provision(d.pid))?.state).toBe('STARTING');
  });
});

describe('hostile input', () => {
  it('garbage, oversize and mismatched messages on the up topic: no crash, no reply', async () => {
    w = await startWorld();
    const other = '240019999999999';
    const up = topics.deviceUp(IMSI);
    w.device.publish(up, Buffer.from([0xff, 0x00, 0x13, 0x37]), { qos: 1 });
    w.device.publish(up, Buffer.from([0xbf]), { qos: 1 }); // truncated indefinite map
    w.device.publish(up, Buffer.alloc(64 * 1024, 0x41), { qos: 1 });
    // a well-formed hello for IMSI A published on IMSI B's topic: refused, nothing sent to either
    w.up({ t: 'hello', rid: 'x1', imsi: IMSI, iccid: '89460112340000010', plmn: '24001', cell: 'c', why: 'on' }, other);
    w.device.publish('simedge/v1/e/edge-a/events', Buffer.from('not cbor'), { qos: 1 });
    await w.marker();
    const down = w.obs.all.filter((r) => r.topic.endsWith('/down'));
    expect(down).toHaveLength(1); // the marker's chal only
    expect(w.obs.orders()).toEqual([]);
    expect(w.traces.filter((t) => t.ev === 'dropped').length).toBeGreaterThanOrEqual(5);
    // still serving
    expect(await w.provision('p1')).toMatchObject({ t: 'acc' });
  });
});
