// Edge `removed` [step 210]: REMOVING -> REMOVED (compare-and-set), the provision's charging
// records close, and the device gets `term` with the reason, committed with the move (outbox.ts).
// A `removed` that comes after the core gave up waiting (FAILED_TEMP, lifecycle.ts onDeadline) is
// a late confirmation: a removal that timed out becomes REMOVED (its `term` and charging stop were
// already done then, so nothing else changes), and a timed-out deploy's clean-up remove stops being
// re-sent. Repeats (QoS 1, answers to re-sent copies) find nothing left to move.
import type { Removed } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { flush, stage } from '../outbox.js';
import { cleaningUp } from '../retry.js';
import type { ProvisionRecord } from '../store/types.js';
import { syncTimers } from '../timers.js';
import { matchOrder } from './edge-order.js';

export async function onRemoved(ctx: Ctx, ev: Removed): Promise<void> {
  const p = await matchOrder(ctx, ev, 'remove');
  if (!p) return;
  if (p.state === 'FAILED_TEMP') return lateRemoved(ctx, p, ev);
  if (p.state !== 'REMOVING') return;
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

/** The edge confirms a removal the core stopped waiting for. */
async function lateRemoved(ctx: Ctx, p: ProvisionRecord, ev: Removed): Promise<void> {
  const teardown = p.endWhy !== undefined; // else a timed-out deploy's clean-up remove
  if (!teardown && !cleaningUp(p)) return; // a repeat: the clean-up was confirmed already
  const now = ctx.now();
  const moved = await ctx.store.transition(p.pid, ['FAILED_TEMP'], teardown ? { state: 'REMOVED', updated: now } : { deadline: undefined, updated: now });
  if (!moved) return;
  // Ends the clean-up's re-sends here; on another core they stop at their next turn (no deadline left).
  syncTimers(ctx, moved);
  ctx.trace(210, 'removed-late', p.imsi, ev.edge);
  ctx.log('info', 'edge confirmed a removal after its deadline', { imsi: p.imsi, pid: p.pid, oid: ev.oid, edge: ev.edge, state: moved.state });
}
