// Edge `removed` [step 210]: REMOVING -> REMOVED (compare-and-set), the provision's charging
// records close, and the device gets `term` with the reason.
import type { Removed } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { syncTimers } from '../timers.js';
import { matchOrder } from './edge-order.js';

export async function onRemoved(ctx: Ctx, ev: Removed): Promise<void> {
  const p = await matchOrder(ctx, ev, 'remove');
  if (!p || p.state !== 'REMOVING') return;
  const now = ctx.now();
  const next = await ctx.store.tx(async (tx) => {
    const moved = await tx.transition(p.pid, ['REMOVING'], { state: 'REMOVED', deadline: undefined, owner: ctx.coreId, updated: now });
    if (moved) await tx.closeCharging(p.pid, now);
    return moved;
  });
  if (!next) return;
  syncTimers(ctx, next);
  ctx.trace(210, 'removed', p.imsi, ev.edge);
  const why = p.endWhy ?? 'bye';
  sendDown(ctx, p.imsi, { t: 'term', pid: p.pid, why });
  ctx.trace(210, 'term', p.imsi, why);
}
