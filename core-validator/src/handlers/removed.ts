// Edge `removed` [step 210]: REMOVING -> REMOVED (compare-and-set), the provision's charging
// records close, and the device gets `term` with the reason, committed with the move (outbox.ts).
import type { Removed } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { flush, stage } from '../outbox.js';
import { syncTimers } from '../timers.js';
import { matchOrder } from './edge-order.js';

export async function onRemoved(ctx: Ctx, ev: Removed): Promise<void> {
  const p = await matchOrder(ctx, ev, 'remove');
  if (!p || p.state !== 'REMOVING') return;
  const now = ctx.now();
  const why = p.endWhy ?? 'bye';
  const done = await ctx.store.tx(async (tx) => {
    const moved = await tx.transition(p.pid, ['REMOVING'], { state: 'REMOVED', deadline: undefined, owner: ctx.coreId, updated: now });
    if (!moved) return undefined;
    await tx.closeCharging(p.pid, now);
    return { moved, note: await stage(ctx, tx, p.imsi, { t: 'term', pid: p.pid, why }) };
  });
  if (!done) return;
  syncTimers(ctx, done.moved);
  ctx.trace(210, 'removed', p.imsi, ev.edge);
  flush(ctx, done.note);
  ctx.trace(210, 'term', p.imsi, why);
}
