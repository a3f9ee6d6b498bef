// Shared instances (share: "class"), the restart policy, metrics and `simedge edge status`, end to
// end: a real aedes broker, a fake core on a real MQTT client, real fn processes.
import { describe, expect, it } from 'vitest';
import { get } from 'node:http';
import { utf8Encode, type EdgeReady, type EdgeStatus, type ServiceSpec } from '@simedge/device-sdk/wire';
import { edgeStatusCommand } from '../src/index.js';
import { agentHarness } from './agent-harness.js';
import { alive, deployOrder, fnService, post, removeOrder, type FakeCore } from './helpers.js';

const COUNTER = 'function handle(input, state) { state.n = (state.n || 0) + 1; return state.n; }';
const shared = (src: string): ServiceSpec => ({ n: 'fn', share: 'class', art: utf8Encode(src), res: { cpu: 0.1, mem: 16 } });

const h = agentHarness({ log: () => {} });

/** The first status published after the first `from` ones that matches (older ones do not count). */
function statusAfter(core: FakeCore, from: number, pred: (s: EdgeStatus) => boolean): Promise<EdgeStatus> {
  return core.until('a later matching status', () => core.statuses.slice(from).find(pred));
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('shared instances (share: "class")', () => {
  it('one instance per class, joined without a start, refcounted by device, stopped after the grace period', async () => {
    // The grace period starts before `removed` is published and we look right after it arrives:
    // long enough that a stalled loop on a loaded machine cannot outlast it; the stop is awaited.
    const { edge, core, agent } = await h.setup({ sharedGraceMs: 2000 });
    const a = deployOrder(edge, [shared(COUNTER)]);
    const b = deployOrder(edge, [shared(COUNTER)]);
    await core.send(a);
    const ra = (await core.event(a.oid, 'ready')) as EdgeReady;
    await core.send(b);
    const rb = (await core.event(b.oid, 'ready')) as EdgeReady;
    expect(rb.svc[0]?.ep).toBe(ra.svc[0]?.ep);
    const key = 'class:acme/meter/fn';
    expect(agent.instances()).toMatchObject([{ key, pid: 'class:acme/meter' }]);
    expect(agent.refs(key)).toEqual([a.pid, b.pid].sort());
    // Both devices reach the same state.
    expect((await post(ra.svc[0]?.ep ?? '', '1')).body).toBe(1);
    expect((await post(rb.svc[0]?.ep ?? '', '1')).body).toBe(2);
    // A private instance of another device stays its own.
    const c = deployOrder(edge, [fnService(COUNTER)]);
    await core.send(c);
    const rc = (await core.event(c.oid, 'ready')) as EdgeReady;
    expect(rc.svc[0]?.ep).not.toBe(ra.svc[0]?.ep);

    const osPid = agent.instances().find((i) => i.key === key)?.osPid ?? -1;
    const ra1 = removeOrder(edge, a.pid);
    await core.send(ra1);
    await core.event(ra1.oid, 'removed');
    expect(agent.refs(key)).toEqual([b.pid]);
    expect(alive(osPid)).toBe(true);

    const rb1 = removeOrder(edge, b.pid);
    const mark = core.statuses.length;
    await core.send(rb1);
    await core.event(rb1.oid, 'removed');
    // Last device gone: still running during the grace period...
    expect(agent.instances().map((i) => i.key)).toContain(key);
    // ...then stopped (the status says only the private instance is left).
    await statusAfter(core, mark, (s) => s.inst === 1 && s.online);
    expect(agent.instances().map((i) => i.key)).toEqual([`${c.pid}/fn`]);
    expect(alive(osPid)).toBe(false);
  });

  it('a device joining during the grace period keeps the instance (no restart)', async () => {
    const { edge, core, agent } = await h.setup({ sharedGraceMs: 60_000 });
    const a = deployOrder(edge, [shared(COUNTER)]);
    await core.send(a);
    const ra = (await core.event(a.oid, 'ready')) as EdgeReady;
    const r = removeOrder(edge, a.pid);
    await core.send(r);
    await core.event(r.oid, 'removed');
    const b = deployOrder(edge, [shared(COUNTER)]);
    await core.send(b);
    expect(((await core.event(b.oid, 'ready')) as EdgeReady).svc[0]?.ep).toBe(ra.svc[0]?.ep);
    expect(agent.instances()).toHaveLength(1);
  });
});

describe('restart policy', () => {
  it('an instance killed from outside is restarted (with backoff) and the status follows', async () => {
    const { edge, core, agent } = await h.setup({ restart: { baseMs: 50 } });
    const o = deployOrder(edge, [fnService(COUNTER)]);
    await core.send(o);
    await core.event(o.oid, 'ready');
    const first = agent.instances()[0]?.osPid ?? -1;
    const mark = core.statuses.length;
    process.kill(first, 'SIGKILL');
    const down = core.statuses.length;
    await statusAfter(core, mark, (s) => s.inst === 0);
    await statusAfter(core, Math.max(down, core.statuses.findIndex((s, i) => i >= mark && s.inst === 0) + 1), (s) => s.inst === 1);
    const second = agent.instances()[0];
    expect(second?.osPid).not.toBe(first);
    expect((await post(second?.endpoint ?? '', '{}')).body).toBe(1);
    // The core was told ready once: a restart is not a new answer.
    expect(core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'ready']);
  });
});

describe('metrics and `simedge edge status`', () => {
  it('counts orders by result, gauges instances, times deploys; served on 127.0.0.1', async () => {
    const { edge, core, agent } = await h.setup({ metricsPort: 0 });
    const ok = deployOrder(edge, [fnService(COUNTER)]);
    const bad = deployOrder(edge, [{ n: 'nope' }]);
    await core.send(ok);
    await core.send(bad);
    await core.event(ok.oid, 'ready');
    await core.event(bad.oid, 'fail');
    const text = await agent.metrics();
    expect(text).toMatch(new RegExp(`simedge_edge_orders_total\\{type="deploy",result="ready",edge="${edge}"\\} 1`));
    expect(text).toMatch(/simedge_edge_orders_total\{type="deploy",result="fail",edge="[^"]+"\} 1/);
    expect(text).toMatch(/simedge_edge_instances\{runtime="process",edge="[^"]+"\} 1/);
    expect(text).toMatch(/simedge_edge_deploy_seconds_count\{edge="[^"]+"\} 1/);
    const http = await httpGet(`http://127.0.0.1:${agent.metricsPort()}/metrics`);
    expect(http.status).toBe(200);
    expect(http.body).toContain('simedge_edge_orders_total');
    expect((await httpGet(`http://127.0.0.1:${agent.metricsPort()}/other`)).status).toBe(404);
  });

  it('prints the retained status of one edge (text and --json); exit 1 for an unknown edge, 2 for bad usage', async () => {
    const { edge, core } = await h.setup({ capacity: { cpu: 2, mem: 512 } });
    const o = deployOrder(edge, [fnService(COUNTER)]);
    await core.send(o);
    await core.event(o.oid, 'ready');
    await core.status((s) => s.inst === 1);
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    expect(await edgeStatusCommand([edge, '--broker', h.broker.url, '--json'], io)).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ edge, online: true, inst: 1, cap: { cpu: 2, mem: 512 }, used: { cpu: 0.1, mem: 16 }, cells: ['24001-0001'] });
    out.length = 0;
    expect(await edgeStatusCommand([edge, '--broker', h.broker.url], io)).toBe(0);
    expect(out.join('')).toMatch(new RegExp(`^${edge}  online  cpu 0.1/2  mem 16/512 MB  inst 1  cells 24001-0001`));
    expect(await edgeStatusCommand(['no-such-edge', '--broker', h.broker.url, '--wait', '50'], io)).toBe(1);
    expect(err.join('')).toContain('no status for edge no-such-edge');
    expect(await edgeStatusCommand([edge], io)).toBe(2);
    expect(await edgeStatusCommand(['--help'], io)).toBe(0);
    expect(out.join('')).toContain('Usage: simedge edge status');
  });
});
