// Remove order (FIG. 2 steps 209-210): stop every instance of the provisioning (SIGTERM, then
// SIGKILL after the grace period, waiting until they are gone) and answer `removed`. Removing a
// pid that runs nothing still answers `removed`: the desired state (nothing) already holds.
import type { RemoveOrder } from '@simedge/device-sdk/wire';
import type { EdgeContext } from '../context.js';
import { stopAll } from './stop.js';

export async function handleRemove(ctx: EdgeContext, o: RemoveOrder): Promise<void> {
  const list = ctx.instances.take(o.pid);
  ctx.trace(209, 'remove', o.imsi, `pid ${o.pid}: ${list.length} instance(s)`);
  if (list.length > 0) {
    await stopAll(list);
    ctx.statusChanged();
  }
  await ctx.emit({ t: 'removed', oid: o.oid, pid: o.pid, edge: ctx.id });
  ctx.trace(210, 'removed', o.imsi, `pid ${o.pid}`);
}
