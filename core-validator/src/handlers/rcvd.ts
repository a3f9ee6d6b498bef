// Edge `rcvd` [step 206]: the edge has the deploy order; STARTING -> PROCESSING, and the
// deploy order is no longer re-sent. Compare-and-set: a repeat, or a race with another core, moves nothing.
import type { Rcvd } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { syncTimers } from '../timers.js';
import { matchOrder } from './edge-order.js';

export async function onRcvd(ctx: Ctx, ev: Rcvd): Promise<void> {
  const p = await matchOrder(ctx, ev, 'deploy');
  if (!p || p.state !== 'STARTING') return;
  const next = await ctx.store.transition(p.pid, ['STARTING'], { state: 'PROCESSING', owner: ctx.coreId, updated: ctx.now() });
  if (!next) return;
  syncTimers(ctx, next);
  ctx.trace(206, 'rcvd', p.imsi, ev.edge);
}
