// Edge `rcvd` [step 206]: the edge has the deploy order; STARTING -> PROCESSING, and the
// deploy order is no longer re-sent.
import type { Rcvd } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { matchOrder } from './edge-order.js';

export async function onRcvd(ctx: Ctx, ev: Rcvd): Promise<void> {
  const p = await matchOrder(ctx, ev, 'deploy');
  if (!p || p.state !== 'STARTING') return;
  ctx.retries.clear(p.pid);
  await ctx.store.updateProvision(p.pid, { state: 'PROCESSING', updated: ctx.now() });
  ctx.trace(206, 'rcvd', p.imsi, ev.edge);
}
