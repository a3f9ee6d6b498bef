// Remove order (FIG. 2 steps 209-210): persist that the pid wants nothing, then let the reconciler
// stop its private instances (SIGTERM, then SIGKILL after the grace period, waiting until they are
// gone) and release its share of shared ones; it answers `removed` once the private ones are gone.
// Removing a pid that runs nothing still answers `removed`: the desired state already holds.
import type { RemoveOrder } from '@simedge/device-sdk/wire';
import type { EdgeContext } from '../context.js';
import { crashPoint } from '../reconcile/crash.js';

export async function handleRemove(ctx: EdgeContext, o: RemoveOrder): Promise<void> {
  const done = ctx.answered(o.oid);
  ctx.store.acceptOrder(o.oid, o.exp, [], () => ctx.store.putRemove(o.pid, o.oid, o.imsi, ctx.now()));
  crashPoint('remove-persisted');
  ctx.trace(209, 'remove', o.imsi, `pid ${o.pid}`);
  void ctx.reconcile();
  await done;
}
