// Deploy order (FIG. 2 steps 206-207): fetch referenced artefacts, resolve every service through the catalog and check
// capacity, then persist the desired state together with `rcvd` (206) BEFORE anything is
// published or started, publish it, and let the reconciler start the instances; it answers
// `ready` (207) with the endpoints once each answered its health check, or `fail` DEPLOY_FAILED
// with the cause (all or nothing: instances already started for it are stopped first).
import type { DeployOrder, EdgeEvent } from '@simedge/device-sdk/wire';
import { fetchRefs } from '../artefacts/fetch-refs.js';
import { resolveService } from '../catalog.js';
import type { EdgeContext } from '../context.js';
import { crashPoint } from '../reconcile/crash.js';
import { desiredInstances } from '../reconcile/desired.js';
import { cause } from '../reconcile/executor.js';
import type { DesiredService } from '../reconcile/types.js';

/** Resources held if this pid's services become `services`: desired instances plus anything else running (shared ones in grace). */
function usageWith(ctx: EdgeContext, pid: string, services: DesiredService[], at: number): { cpu: number; mem: number } {
  const others = ctx.store.provisions().filter((p) => p.pid !== pid);
  const want = desiredInstances([...others, { pid, oid: '', state: 'pending', imsi: '', services, at, seq: Number.MAX_SAFE_INTEGER }]);
  const res = new Map<string, { cpu: number; mem: number }>(want.map((d) => [d.key, d.spec.res]));
  for (const r of ctx.instances.all()) if (!res.has(r.key)) res.set(r.key, r.inst.res);
  let cpu = 0;
  let mem = 0;
  for (const r of res.values()) {
    cpu += r.cpu;
    mem += r.mem;
  }
  return { cpu, mem };
}

export async function handleDeploy(ctx: EdgeContext, o: DeployOrder): Promise<void> {
  const ids = { oid: o.oid, pid: o.pid, edge: ctx.id };
  const rcvd: EdgeEvent = { t: 'rcvd', ...ids };
  const at = ctx.now();
  let refusal: string | undefined;
  let services: DesiredService[] = [];
  try {
    // Referenced artefacts first (each digest once, verified): the desired state records only
    // code that matched its SHA-256. A download delays `rcvd`, so a crash during it leaves no trace
    // and the core's re-sent order starts over (the cache keeps what was complete).
    const fetched = await fetchRefs(ctx.artefacts, o.svc);
    services = o.svc.map((s, i) => resolveService({ pid: o.pid, cls: o.cls, edge: ctx.id }, s, ctx.runtime, o.svc.slice(0, i).filter((x) => x.n === s.n).length, fetched));
    const use = usageWith(ctx, o.pid, services, at);
    if (use.cpu > ctx.capacity.cpu + 1e-9 || use.mem > ctx.capacity.mem) {
      refusal = `insufficient capacity: need cpu ${Math.round(use.cpu * 1000) / 1000} mem ${use.mem} of cpu ${ctx.capacity.cpu} mem ${ctx.capacity.mem}`;
    }
  } catch (e) {
    refusal = cause(e);
  }

  if (refusal !== undefined) {
    ctx.store.acceptOrder(o.oid, o.exp, [rcvd, { t: 'fail', ...ids, code: 'DEPLOY_FAILED', msg: refusal }]);
    ctx.trace(206, 'rcvd', o.imsi, `deploy ${o.pid}`);
    ctx.trace(207, 'fail', o.imsi, `DEPLOY_FAILED ${refusal}`);
    ctx.log(`deploy ${o.oid} (pid ${o.pid}) failed: ${refusal}`);
    ctx.metrics.order('deploy', 'fail');
    await ctx.flush();
    return;
  }

  const done = ctx.answered(o.oid);
  ctx.store.acceptOrder(o.oid, o.exp, [rcvd], () => ctx.store.putDeploy(o.pid, o.oid, o.imsi, services, at));
  crashPoint('deploy-persisted');
  await ctx.flush();
  ctx.trace(206, 'rcvd', o.imsi, `deploy ${o.pid}: ${services.map((s) => s.key).join(', ')}`);
  void ctx.reconcile();
  await done;
}
