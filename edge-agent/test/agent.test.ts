// The edge agent end to end: a real aedes broker, a fake core on a real MQTT client signing real
// orders, real fn child processes and real HTTP calls to the endpoints the agent reports.
import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { Client } from 'aedes';
import { generateKeyPair, type EdgeReady, type Fail, type TraceEvent } from '@simedge/device-sdk/wire';
import type { EdgeAgent, EdgeOptions } from '../src/index.js';
import { agentHarness } from './agent-harness.js';
import { alive, deployOrder, fnService, nowSec, post, removeOrder, uid, type FakeCore } from './helpers.js';

const METER = `
// Averages meter readings; state persists across calls of one instance.
function handle(input, state) {
  state.count = (state.count || 0) + 1;
  state.sum = (state.sum || 0) + input.kwh;
  return { count: state.count, avg: state.sum / state.count, alarm: input.kwh > 10 };
}`;

const h = agentHarness({ cells: ['24001-0001', '24001-0002'] });

interface Setup { core: FakeCore; agent: EdgeAgent; edge: string; traces: TraceEvent[] }

async function setup(over: Partial<EdgeOptions> = {}): Promise<Setup> {
  const traces: TraceEvent[] = [];
  return { ...(await h.setup({ trace: (e) => traces.push(e), ...over })), traces };
}

/** Orders on one topic from one publisher arrive in order: once this barrier is answered, every earlier order was handled. */
async function barrier(s: Setup): Promise<void> {
  const o = removeOrder(s.edge, uid('barrier'));
  await s.core.send(o);
  await s.core.event(o.oid, 'removed');
}

describe('edge agent: deploy and remove [FIG. 2 steps 205-210]', () => {
  it('acknowledges, runs the fn, reports a truthful endpoint, keeps state, removes the process', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService(METER)]);
    await s.core.send(o);
    await s.core.event(o.oid, 'rcvd');
    const ready = (await s.core.event(o.oid, 'ready')) as EdgeReady;
    expect(s.core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'ready']);
    expect(ready).toMatchObject({ pid: o.pid, edge: s.edge });
    expect(ready.svc).toHaveLength(1);
    expect(ready.svc[0]?.n).toBe('fn');
    const ep = ready.svc[0]?.ep ?? '';
    expect(ep).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    expect(await post(ep, '{"kwh": 4}')).toEqual({ status: 200, body: { count: 1, avg: 4, alarm: false } });
    expect(await post(ep, '{"kwh": 12}')).toEqual({ status: 200, body: { count: 2, avg: 8, alarm: true } });

    const [inst] = s.agent.instances();
    expect(s.agent.instances()).toHaveLength(1);
    expect(inst).toMatchObject({ pid: o.pid, service: 'fn', endpoint: ep });
    const osPid = inst?.osPid ?? -1;
    expect(alive(osPid)).toBe(true);
    const st = await s.core.status((x) => x.inst === 1);
    expect(st).toMatchObject({ online: true, used: { cpu: 0.1, mem: 16 }, cap: { cpu: 2, mem: 1024 } });

    const r = removeOrder(s.edge, o.pid);
    await s.core.send(r);
    await s.core.event(r.oid, 'removed');
    expect(alive(osPid)).toBe(false);
    expect(s.agent.instances()).toEqual([]);
    await s.core.status((x) => x.inst === 0 && x.used.mem === 0);
    expect(s.traces.map((t) => `${t.step} ${t.ev}`)).toEqual(expect.arrayContaining(['205 order', '206 rcvd', '207 started', '207 ready', '209 remove', '210 removed']));
    expect(s.traces.every((t) => t.actor === `edge:${s.edge}`)).toBe(true);
  });

  it('a remove that arrives while the deploy is starting waits for it, then removes it', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService(METER)]);
    const r = removeOrder(s.edge, o.pid);
    await s.core.send(o);
    await s.core.send(r);
    await s.core.event(r.oid, 'removed');
    const order = s.core.events.filter((e) => e.pid === o.pid).map((e) => e.t);
    expect(order).toEqual(['rcvd', 'ready', 'removed']);
    expect(s.agent.instances()).toEqual([]);
  });

  it('answers removed for a pid it does not run (idempotent remove)', async () => {
    const s = await setup();
    const r = removeOrder(s.edge, 'never-deployed');
    await s.core.send(r);
    expect(await s.core.event(r.oid, 'removed')).toMatchObject({ pid: 'never-deployed', edge: s.edge });
  });

  it('applies a replayed oid once and re-sends the same answers', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService(METER)]);
    const bytes = s.core.sign(o);
    await s.core.publish(bytes);
    await s.core.event(o.oid, 'ready');
    await s.core.publish(bytes);
    await s.core.until('the replayed answers', () => (s.core.eventsOf(o.oid).length === 4 ? true : undefined));
    expect(s.core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'ready', 'rcvd', 'ready']);
    expect(s.agent.instances()).toHaveLength(1);
    expect(s.traces.some((t) => t.ev === 'order-replay')).toBe(true);
  });

  it('a function that throws answers 500 FN_ERROR and the instance keeps serving', async () => {
    const s = await setup();
    const src = 'function handle(input, state) { if (input.bad) throw new RangeError("reading out of range"); return input.v * 2; }';
    const o = deployOrder(s.edge, [fnService(src)]);
    await s.core.send(o);
    const ep = ((await s.core.event(o.oid, 'ready')) as EdgeReady).svc[0]?.ep ?? '';
    expect(await post(ep, '{"bad": true}')).toEqual({ status: 500, body: { code: 'FN_ERROR', msg: 'RangeError: reading out of range' } });
    expect(await post(ep, '{"v": 21}')).toEqual({ status: 200, body: 42 });
    expect(s.agent.instances()).toHaveLength(1);
  });
});

describe('edge agent: deploy failures', () => {
  it('a syntax error fails DEPLOY_FAILED with the compiler message and leaves nothing running', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService('function handle(input, state) { return input +; }')]);
    await s.core.send(o);
    const f = (await s.core.event(o.oid, 'fail')) as Fail;
    expect(f.code).toBe('DEPLOY_FAILED');
    expect(f.msg).toMatch(/SyntaxError/);
    expect(s.core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'fail']);
    expect(s.agent.instances()).toEqual([]);
  });

  it('source without handle() fails DEPLOY_FAILED', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService('const x = 1;')]);
    await s.core.send(o);
    expect(((await s.core.event(o.oid, 'fail')) as Fail).msg).toMatch(/must define function handle/);
  });

  it('a service not in the catalog fails DEPLOY_FAILED', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [{ n: 'onem2m-cse', fns: ['reg'] }]);
    await s.core.send(o);
    expect(await s.core.event(o.oid, 'fail')).toMatchObject({ code: 'DEPLOY_FAILED', msg: 'service onem2m-cse not in catalog' });
  });

  it('an artefact reference that cannot be fetched fails DEPLOY_FAILED with the cause (agent-artefacts.test.ts: the rest)', async () => {
    const s = await setup();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const o = deployOrder(s.edge, [{ n: 'fn', art: { sha256: new Uint8Array(32), size: 10, url: 'http://127.0.0.1:9/fn.js' } }]);
    await s.core.send(o);
    const fail = (await s.core.event(o.oid, 'fail')) as Fail;
    expect(fail.code).toBe('DEPLOY_FAILED');
    expect(fail.msg).toMatch(/^ARTEFACT_FETCH_FAILED: http:\/\/127\.0\.0\.1:9\/fn\.js: fetch failed/);
  });

  it('refuses a deploy over capacity, and a failing second service stops the first (all or nothing)', async () => {
    const s = await setup({ capacity: { cpu: 1, mem: 20 } });
    const big = deployOrder(s.edge, [fnService(METER, 16), fnService(METER, 16)]);
    await s.core.send(big);
    expect(((await s.core.event(big.oid, 'fail')) as Fail).msg).toMatch(/insufficient capacity/);
    const mixed = deployOrder(s.edge, [fnService(METER, 16), fnService('syntax error here', 1)]);
    await s.core.send(mixed);
    expect(((await s.core.event(mixed.oid, 'fail')) as Fail).msg).toMatch(/SyntaxError/);
    expect(s.agent.instances()).toEqual([]);
    expect(s.traces.filter((t) => t.ev === 'started')).toHaveLength(1);
  });
});

describe('edge agent: order checks [RFC9052 §4.4]', () => {
  it('drops an order with a bad signature: no event, nothing started', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService(METER)]);
    await s.core.publish(s.core.sign(o, generateKeyPair().seed)); // trusted kid, wrong key
    await barrier(s);
    expect(s.core.eventsOf(o.oid)).toEqual([]);
    expect(s.agent.instances()).toEqual([]);
    expect(s.traces.find((t) => t.ev === 'order-dropped')?.detail).toMatch(/bad signature/);
  });

  it('drops an order signed under an unknown kid, and garbage bytes', async () => {
    const s = await setup();
    const other = generateKeyPair();
    const o = deployOrder(s.edge, [fnService(METER)]);
    await s.core.publish(s.core.sign(o, other.seed, 'rogue'));
    await s.core.publish(new Uint8Array([0xd2, 0x84, 0x40]));
    await barrier(s);
    expect(s.core.eventsOf(o.oid)).toEqual([]);
    expect(s.agent.instances()).toEqual([]);
    const dropped = s.traces.filter((t) => t.ev === 'order-dropped').map((t) => t.detail);
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatch(/unknown kid "rogue"/);
  });

  it('answers fail ORDER_INVALID to an expired order and runs nothing', async () => {
    const s = await setup();
    const o = deployOrder(s.edge, [fnService(METER)], { iat: nowSec() - 120, exp: nowSec() - 60 });
    await s.core.send(o);
    expect(await s.core.event(o.oid, 'fail')).toMatchObject({ code: 'ORDER_INVALID', pid: o.pid });
    expect(s.core.eventsOf(o.oid).map((e) => e.t)).toEqual(['fail']);
    expect(s.agent.instances()).toEqual([]);
  });

  it('uses the injected clock for expiry', async () => {
    const o0 = nowSec();
    const s = await setup({ now: () => (o0 + 3600) * 1000 });
    const o = deployOrder(s.edge, [fnService(METER)], { iat: o0, exp: o0 + 60 });
    await s.core.send(o);
    expect(((await s.core.event(o.oid, 'fail')) as Fail).msg).toMatch(/expired/);
  });

  it('answers fail ORDER_INVALID to an order addressed to another edge', async () => {
    const s = await setup();
    const o = deployOrder('edge-elsewhere', [fnService(METER)]);
    await s.core.send(o);
    const f = (await s.core.event(o.oid, 'fail')) as Fail;
    expect(f).toMatchObject({ code: 'ORDER_INVALID', edge: s.edge });
    expect(f.msg).toMatch(/edge-elsewhere/);
    expect(s.agent.instances()).toEqual([]);
  });
});

describe('edge agent: lifecycle and status', () => {
  it('publishes retained status online, then offline on stop, leaving no child processes', async () => {
    const s = await setup();
    const a = deployOrder(s.edge, [fnService(METER)]);
    const b = deployOrder(s.edge, [fnService(METER), fnService(METER)]);
    await s.core.send(a);
    await s.core.send(b);
    await s.core.event(a.oid, 'ready');
    await s.core.event(b.oid, 'ready');
    const pids = s.agent.instances().map((i) => i.osPid ?? -1);
    expect(pids).toHaveLength(3);
    expect(pids.every(alive)).toBe(true);

    // A late subscriber (the core after a restart) gets the retained status.
    const late = await h.core(s.edge);
    expect(await late.status(() => true)).toMatchObject({ online: true, edge: s.edge, cells: ['24001-0001', '24001-0002'], inst: 3 });

    await s.agent.stop();
    expect(pids.some(alive)).toBe(false);
    expect(s.agent.instances()).toEqual([]);
    const later = await h.core(s.edge);
    expect(await later.status(() => true)).toMatchObject({ online: false, inst: 0 });
  });

  it('the last will marks the edge offline when its connection dies, and it says online again after reconnecting', async () => {
    const edgeClients: Client[] = [];
    const onReady = (c: Client) => {
      if (c.id.startsWith('simedge-edge-')) edgeClients.push(c);
    };
    h.broker.aedes.on('clientReady', onReady);
    h.defer(() => void h.broker.aedes.off('clientReady', onReady));
    const s = await setup();
    await s.core.status((x) => x.online);
    const conn = edgeClients.find((c) => c.id.startsWith(`simedge-edge-${s.edge}-`))?.conn as Socket | undefined;
    expect(conn).toBeDefined();
    conn?.destroy(); // the network drops the edge: no DISCONNECT, so the broker sends the will
    await s.core.until('offline will', () => (s.core.statuses.at(-1)?.online === false ? true : undefined));
    await s.core.until('online again', () => (s.core.statuses.at(-1)?.online === true ? true : undefined));
  });
});
