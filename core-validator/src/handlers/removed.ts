// Edge `removed` [step 210]: REMOVING -> REMOVED, the provision's charging records close, and
// the device gets `term` with the reason.
import type { Removed } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { matchOrder } from './edge-order.js';

export async function onRemoved(ctx: Ctx, ev: Removed): Promise<void> {
  const p = await matchOrder(ctx, ev, 'remove');
  if (!p || p.state !== 'REMOVING') return;
  ctx.deadlines.clear(p.pid);
  const now = ctx.now();
  await ctx.store.tx(async (tx) => {
    await tx.updateProvision(p.pid, { state: 'REMOVED', deadline: undefined, updated: now });
    await tx.closeCharging(p.pid, now);
  });
  ctx.trace(210, 'removed', p.imsi, ev.edge);
  const why = p.endWhy ?? 'bye';
  sendDown(ctx, p.imsi, { t: 'term', pid: p.pid, why });
  ctx.trace(210, 'term', p.imsi, why);
}
