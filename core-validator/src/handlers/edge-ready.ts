// Edge `ready` [step 207]: the services run; COMPLETED, and the device gets `ready` with the
// endpoints. Make-before-break on roaming/re-provisioning: only now is any older COMPLETED
// provision of the IMSI removed (`term {why: 'roam'}` follows its `removed`). The charging
// records of the provision's services open now.
import type { EdgeReady } from '@simedge/device-sdk/wire';
import { openCharging } from '../charging.js';
import { sendDown, type Ctx } from '../context.js';
import { remove } from '../lifecycle.js';
import { matchOrder } from './edge-order.js';

export async function onEdgeReady(ctx: Ctx, ev: EdgeReady): Promise<void> {
  const p = await matchOrder(ctx, ev, 'deploy');
  if (!p || (p.state !== 'STARTING' && p.state !== 'PROCESSING')) return;
  ctx.deadlines.clear(p.pid);
  ctx.retries.clear(p.pid);
  const now = ctx.now();
  await ctx.store.tx(async (tx) => {
    await tx.updateProvision(p.pid, { state: 'COMPLETED', svc: ev.svc, deadline: undefined, updated: now });
    await openCharging(tx, p, now);
  });
  ctx.trace(207, 'ready', p.imsi, ev.edge);
  const others = (await ctx.store.provisions({ imsi: p.imsi, state: 'COMPLETED' })).filter((o) => o.pid !== p.pid);
  // A provision that completes after a newer one did is the stale one: drop it, keep the newer.
  if (others.some((o) => o.created > p.created)) {
    await remove(ctx, { ...p, state: 'COMPLETED' }, 'roam');
    return;
  }
  sendDown(ctx, p.imsi, { t: 'ready', pid: p.pid, edge: p.edge, svc: ev.svc });
  for (const o of others) await remove(ctx, o, 'roam');
}
