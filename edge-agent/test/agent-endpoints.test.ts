// Stable endpoints of the process runtime: the port each instance key served on is kept in the
// state store, so an instance restarted after a crash - or by a restarted agent on the same state
// directory - comes back on the endpoint the device was given. When that port is taken the
// instance takes another and the agent says `ready` again with the new endpoint. Real broker,
// real fn child processes, real SQLite; the crash is a real SIGKILL of the host process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployOrder, EdgeReady, TraceEvent } from '@simedge/device-sdk/wire';
import type { EdgeAgent } from '../src/index.js';
import { agentHarness } from './agent-harness.js';
import { deployOrder, fnService, post, uid, type FakeCore } from './helpers.js';

const COUNTER = 'function handle(i, s) { s.n = (s.n || 0) + 1; return s.n; }';
const h = agentHarness({ log: () => {}, restart: { baseMs: 100 } });
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simedge-endpoints-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves with the first trace event matching `pred` (the agent's sink calls `feed`). */
function traceWaiter(): { feed: (e: TraceEvent) => void; next: (pred: (e: TraceEvent) => boolean) => Promise<TraceEvent> } {
  const waiting: Array<{ pred: (e: TraceEvent) => boolean; resolve: (e: TraceEvent) => void }> = [];
  return {
    feed: (e) => {
      for (const w of [...waiting]) if (w.pred(e)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(e);
      }
    },
    next: (pred) => new Promise((resolve) => waiting.push({ pred, resolve })),
  };
}

/** A started agent whose trace feeds `t`, with one COUNTER instance deployed and ready at `ep`. */
async function counterDeployed(): Promise<{ core: FakeCore; agent: EdgeAgent; t: ReturnType<typeof traceWaiter>; o: DeployOrder; ep: string }> {
  const t = traceWaiter();
  const { edge, core, agent } = await h.setup({ trace: t.feed });
  const o = deployOrder(edge, [fnService(COUNTER)]);
  await core.send(o);
  const ep = ((await core.event(o.oid, 'ready')) as EdgeReady).svc[0]?.ep ?? '';
  return { core, agent, t, o, ep };
}

describe('stable endpoints across restarts (process runtime)', () => {
  it('an instance that crashed comes back on the same endpoint; no second ready is needed', async () => {
    const { core, agent, t, o, ep } = await counterDeployed();
    expect((await post(ep, '{}')).body).toBe(1);
    const old = agent.instances()[0]?.osPid ?? -1;
    const restarted = t.next((e) => e.ev === 'started');
    process.kill(old, 'SIGKILL');
    await restarted;
    expect(agent.instances()[0]?.endpoint).toBe(ep);
    expect(agent.instances()[0]?.osPid).not.toBe(old);
    // A fresh process (state starts over) behind the very same endpoint.
    expect((await post(ep, '{}')).body).toBe(1);
    expect(core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'ready']);
  });

  it('a restarted agent on the same state directory brings the instance back on the same endpoint', async () => {
    const edge = uid('edge');
    const stateDir = join(dir, edge);
    const core = await h.core(edge);
    const first = h.agentFor(edge, core, { stateDir });
    await first.start();
    const o = deployOrder(edge, [fnService(COUNTER)]);
    await core.send(o);
    const ep = ((await core.event(o.oid, 'ready')) as EdgeReady).svc[0]?.ep ?? '';
    await first.stop(); // instances end with it; the desired state stays on disk
    const second = h.agentFor(edge, core, { stateDir });
    await second.start(); // start-up reconcile starts the desired instance before it resolves
    h.defer(() => second.stop());
    expect(second.instances().map((i) => i.endpoint)).toEqual([ep]);
    expect((await post(ep, '{}')).body).toBe(1);
  });

  it('when the old port is taken, the instance moves and the agent re-sends ready with the new endpoint', async () => {
    const { core, agent, t, o, ep } = await counterDeployed();
    const port = Number(new URL(ep).port);
    // Someone else binds the port the moment the instance is gone (before its restart backoff ends).
    const blocker: Server = createServer();
    h.defer(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const exited = t.next((e) => e.ev === 'exited');
    process.kill(agent.instances()[0]?.osPid ?? -1, 'SIGKILL');
    await exited;
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(port, '127.0.0.1', resolve);
    });
    const again = (await core.until('a second ready', () => core.eventsOf(o.oid).filter((e) => e.t === 'ready')[1])) as EdgeReady;
    const moved = again.svc[0]?.ep ?? '';
    expect(moved).not.toBe(ep);
    expect(agent.instances()[0]?.endpoint).toBe(moved);
    expect((await post(moved, '{}')).body).toBe(1);
  });
});
