// Deploy latency of the edge agent (order received -> ready, DESIGN.md "Measured") per runtime,
// against its bare floor measured in the same run: the process runtime vs a bare `node` spawn of
// a trivial script until it prints (target <= 1.3x); the OCI runtime vs a bare Docker API
// create+start of the same image with the same settings until /healthz answers (target <= 1.2x);
// and a device joining a running shared instance (target p50 <= 5 ms). Latency is taken inside
// the agent from its trace events (`order` at intake, `ready` when the answer is recorded), so
// the broker's hop is not in it. Needs podman for the OCI rows (they fail alone without it).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import type { ServiceSpec, TraceEvent } from '@simedge/device-sdk/wire';
import { EdgeAgent, type EdgeOptions } from '../../edge-agent/src/index.js';
import { ensureFnImage } from '../../edge-agent/src/runtime/image/build.js';
import { FN_PORT, fnArgs, fnEnv, fnLimits } from '../../edge-agent/src/runtime/image/fn-container.js';
import { FN_USER } from '../../edge-agent/src/runtime/image/build.js';
import { waitHealthy } from '../../edge-agent/src/runtime/wait-healthy.js';
import { FakeCore, deployOrder, fnService, removeOrder } from '../../edge-agent/test/helpers.js';
import { startPodmanService } from '../../edge-agent/test/runtime-podman.js';
import { percentile, type Bench, type Row } from './types.js';

const CODE = 'function handle(input, state) { state.n = (state.n || 0) + 1; return state.n; }';
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Time from spawning bare node on a trivial script until it printed. */
function bareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, ['-e', 'console.log(1)'], { stdio: ['ignore', 'pipe', 'ignore'], env: {} });
    p.stdout.once('data', () => resolve(performance.now() - t0));
    p.once('error', reject);
  });
}

/** An agent on a fresh broker whose trace timestamps (performance.now) give order->ready per oid. */
async function agentRig(over: Partial<EdgeOptions> = {}): Promise<{ core: FakeCore; agent: EdgeAgent; edge: string; latency: (oid: string) => Promise<number>; close: () => Promise<void>; broker: EmbeddedBroker }> {
  const broker = await startEmbeddedBroker();
  const edge = `edge-bench-${randomBytes(3).toString('hex')}`;
  const core = await FakeCore.connect(broker.url, edge);
  const intake = new Map<string, number>();
  const waiting = new Map<string, (t: number) => void>();
  const trace = (e: TraceEvent) => {
    const t = performance.now();
    // `order` detail is "deploy <oid> pid <pid>"; `ready`/`fail` name no oid, but deploys here run
    // one at a time, so the one waiting is the one answered.
    if (e.ev === 'order') intake.set(e.detail?.split(' ')[1] ?? '', t);
    if (e.ev !== 'ready' && e.ev !== 'fail') return;
    const [oid, f] = [...waiting][0] ?? [];
    if (oid === undefined || f === undefined) return;
    waiting.delete(oid);
    f(e.ev === 'ready' ? t - (intake.get(oid) ?? t) : Number.NaN);
  };
  const agent = new EdgeAgent({ id: edge, brokerUrl: broker.url, coreKeys: core.trusted, cells: ['24001-0001'], trace, log: () => {}, capacity: { cpu: 64, mem: 1 << 20 }, ...over });
  await agent.start();
  const latency = (oid: string) => new Promise<number>((resolve) => waiting.set(oid, resolve));
  const close = async () => {
    await agent.stop();
    await core.close();
    await broker.close();
  };
  return { core, agent, edge, latency, close, broker };
}

/**
 * Deploy `n` orders one after another, `gapMs` apart (a paced cadence: the process runtime's
 * standby host is up again by the next one); order->ready latencies (ms).
 */
async function deployLatencies(rig: Awaited<ReturnType<typeof agentRig>>, n: number, svc: () => ServiceSpec[], gapMs = 0): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = deployOrder(rig.edge, svc());
    const l = rig.latency(o.oid);
    await rig.core.send(o);
    const v = await l;
    if (Number.isNaN(v)) throw new Error(`deploy ${o.oid} failed: ${JSON.stringify(rig.core.eventsOf(o.oid))}`);
    out.push(v);
    // Keep the box from filling up: remove it again (not timed).
    const r = removeOrder(rig.edge, o.pid);
    await rig.core.send(r);
    await rig.core.event(r.oid, 'removed');
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return out;
}

async function processRows(): Promise<Row[]> {
  const N = 15;
  const floor: number[] = [];
  for (let i = 0; i < N + 2; i++) floor.push(await bareNode());
  floor.splice(0, 2); // warm the page cache
  const rows: Row[] = [];
  const f50 = percentile(floor, 50);
  // Cold: every host spawned on demand (process.warm false), back to back.
  const cold = await agentRig({ process: { warm: false } });
  try {
    await deployLatencies(cold, 2, () => [fnService(CODE, 32)]);
    const lat = await deployLatencies(cold, N, () => [{ ...fnService(CODE, 32), res: { cpu: 0, mem: 32 } }]);
    const p50 = percentile(lat, 50);
    rows.push({ name: 'deploy latency, process runtime, cold start p50', value: ms(p50), baseline: `bare node spawn until it prints ${ms(f50)}`, ratio: `${(p50 / f50).toFixed(2)}x`, note: `order received -> ready, ${N} deploys (warm: false), p90 ${ms(percentile(lat, 90))}; target <= 1.3x` });
  } finally {
    await cold.close();
  }
  const rig = await agentRig();
  try {
    await deployLatencies(rig, 2, () => [fnService(CODE, 32)], 500); // warm-up
    for (const cpu of [0, 0.25]) {
      const lat = await deployLatencies(rig, N, () => [{ ...fnService(CODE, 32), res: { cpu, mem: 32 } }], 500);
      const p50 = percentile(lat, 50);
      rows.push({ name: `deploy latency, process runtime${cpu > 0 ? ` (res.cpu ${cpu}: cgroup)` : ''} p50`, value: ms(p50), baseline: `bare node spawn until it prints ${ms(f50)}`, ratio: `${(p50 / f50).toFixed(2)}x`, note: `order received -> ready, ${N} deploys 500 ms apart (warm standby host), p90 ${ms(percentile(lat, 90))}; target <= 1.3x` });
    }
    // Joining a running shared instance: no start, only bookkeeping and the answer.
    const share = (): ServiceSpec[] => [{ ...fnService(CODE, 32), share: 'class' }];
    const first = deployOrder(rig.edge, share());
    await rig.core.send(first);
    await rig.core.event(first.oid, 'ready');
    const joins: number[] = [];
    for (let i = 0; i < 30; i++) {
      const o = deployOrder(rig.edge, share());
      const l = rig.latency(o.oid);
      await rig.core.send(o);
      joins.push(await l);
    }
    rows.push({ name: 'join a running shared instance p50', value: ms(percentile(joins, 50)), baseline: '5 ms (target)', ratio: `${(percentile(joins, 50) / 5).toFixed(2)}x of target`, note: `30 joins, p90 ${ms(percentile(joins, 90))}; target p50 <= 5 ms` });
  } finally {
    await rig.close();
  }
  return rows;
}

async function ociRows(): Promise<Row[]> {
  const N = 6;
  const svc = await startPodmanService();
  try {
    const image = await ensureFnImage(svc.docker);
    // Floor: the same image, limits and settings, straight through the API, until healthy.
    const limits = fnLimits({ cpu: 0, mem: 32 });
    const bare = async (): Promise<number> => {
      const t0 = performance.now();
      const c = await svc.docker.createContainer({
        Image: image.ref, Cmd: fnArgs(limits), Env: Object.entries(fnEnv(CODE, 1000)).map(([k, v]) => `${k}=${v}`), User: FN_USER,
        ExposedPorts: { [`${FN_PORT}/tcp`]: {} },
        HostConfig: { Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes, PortBindings: { [`${FN_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] }, ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], PidsLimit: 64 },
      });
      try {
        await c.start();
        const port = (await c.inspect()).NetworkSettings.Ports?.[`${FN_PORT}/tcp`]?.[0]?.HostPort;
        await waitHealthy(`http://127.0.0.1:${port}/healthz`, 15_000, new Promise(() => {}));
        return performance.now() - t0;
      } finally {
        await c.remove({ force: true }); // also when it never got healthy: no container left behind
      }
    };
    const rig = await agentRig({ runtime: 'oci', oci: { socketPath: svc.socketPath } });
    try {
      await bare();
      await deployLatencies(rig, 1, () => [fnService(CODE, 32)]);
      // Alternate floor and agent deploys so a change of machine load hits both alike.
      const floor: number[] = [];
      const lat: number[] = [];
      for (let i = 0; i < N; i++) {
        floor.push(await bare());
        lat.push(...(await deployLatencies(rig, 1, () => [{ ...fnService(CODE, 32), res: { cpu: 0, mem: 32 } }])));
      }
      const p50 = percentile(lat, 50);
      const f50 = percentile(floor, 50);
      return [{ name: 'deploy latency, OCI runtime (podman) p50', value: ms(p50), baseline: `bare API create+start until healthy ${ms(f50)}`, ratio: `${(p50 / f50).toFixed(2)}x`, note: `order received -> ready, ${N} deploys, p90 ${ms(percentile(lat, 90))}; target <= 1.2x` }];
    } finally {
      await rig.close();
    }
  } finally {
    await svc.stop();
  }
}

export const benches: Bench[] = [
  { name: 'deploy-process', run: processRows },
  { name: 'deploy-oci', run: ociRows },
];
