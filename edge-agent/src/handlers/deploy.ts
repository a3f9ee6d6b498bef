// Deploy order (FIG. 2 steps 206-207): acknowledge with `rcvd`, resolve every service through the
// catalog, check capacity, start the instances and answer `ready` with their endpoints only once
// each answered its health check. All or nothing: if one service fails, those already started are
// stopped and the answer is `fail` DEPLOY_FAILED with the cause.
import { isSimedgeError, type DeployOrder } from '@simedge/device-sdk/wire';
import { resolveService, type Resolved } from '../catalog.js';
import type { EdgeContext } from '../context.js';
import type { Running } from '../instances.js';
import { stopAll } from './stop.js';

function cause(e: unknown): string {
  if (isSimedgeError(e)) return e.detail ?? e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function handleDeploy(ctx: EdgeContext, o: DeployOrder): Promise<void> {
  const ids = { oid: o.oid, pid: o.pid, edge: ctx.id };
  await ctx.emit({ t: 'rcvd', ...ids });
  ctx.trace(206, 'rcvd', o.imsi, `deploy ${o.pid}: ${o.svc.map((s) => s.n).join(', ')}`);
  const fail = async (msg: string) => {
    ctx.trace(207, 'fail', o.imsi, `DEPLOY_FAILED ${msg}`);
    ctx.log(`deploy ${o.oid} (pid ${o.pid}) failed: ${msg}`);
    await ctx.emit({ t: 'fail', ...ids, code: 'DEPLOY_FAILED', msg });
  };

  let plan: Resolved[];
  try {
    plan = o.svc.map((s) => resolveService(o.pid, s));
  } catch (e) {
    return fail(cause(e));
  }
  // A new deploy for a pid that already runs replaces it (the latest order is the desired state).
  const previous = ctx.instances.take(o.pid);
  if (previous.length > 0) {
    await stopAll(previous);
    ctx.statusChanged();
  }
  const used = ctx.instances.used();
  const need = plan.reduce((a, r) => ({ cpu: a.cpu + r.spec.res.cpu, mem: a.mem + r.spec.res.mem }), { cpu: 0, mem: 0 });
  if (used.cpu + need.cpu > ctx.capacity.cpu + 1e-9 || used.mem + need.mem > ctx.capacity.mem) {
    return fail(`insufficient capacity: need cpu ${need.cpu} mem ${need.mem}, free cpu ${ctx.capacity.cpu - used.cpu} mem ${ctx.capacity.mem - used.mem}`);
  }

  const started: Running[] = [];
  try {
    for (const r of plan) {
      const runtime = ctx.runtimes[r.runtime];
      if (!runtime) throw new Error(`runtime ${r.runtime} not available`);
      const inst = await runtime.start(r.spec);
      started.push({ inst, runtime });
      ctx.trace(207, 'started', o.imsi, `${inst.service} ${inst.endpoint}${inst.osPid ? ` os pid ${inst.osPid}` : ''}`);
    }
    if (ctx.stopping()) throw new Error('edge is shutting down');
  } catch (e) {
    await stopAll(started);
    return fail(cause(e));
  }
  ctx.instances.add(o.pid, started);
  ctx.statusChanged();
  const svc = started.map((r) => ({ n: r.inst.service, ep: r.inst.endpoint }));
  await ctx.emit({ t: 'ready', ...ids, svc });
  ctx.trace(207, 'ready', o.imsi, svc.map((s) => `${s.n} ${s.ep}`).join(', '));
}
