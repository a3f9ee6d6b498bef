// Deploy-order retries [issue 4 item 4]: while a provision is STARTING (the edge has not said
// `rcvd`), its deploy order is re-sent with jittered exponential backoff until the operation
// deadline ends it. The very same signed bytes go out each time (same oid, same window), so the
// edge's replay protection turns a duplicate into a repeated answer, never a second deployment.
// Shared cores (README "Scale-out") keep re-sending while PROCESSING and REMOVING too: an edge
// event goes to one core of the group, and dies with it if that core crashes before handling it;
// the re-sent order makes the edge repeat its answer, to a live core.
import { backoffDelay } from './backoff.js';
import { owns, type Ctx } from './context.js';
import { publishOrder, sendRemove } from './orders.js';
import type { ProvisionState } from './store/types.js';

/** Whether a provision in `state` has its order re-sent on this core's settings. */
export function retrying(ctx: Ctx, state: ProvisionState): boolean {
  return state === 'STARTING' || (ctx.cluster && (state === 'PROCESSING' || state === 'REMOVING'));
}

/** Schedule retry number `attempt` (0 = first) of the provision's current order. */
export function armRetry(ctx: Ctx, pid: string, attempt: number): void {
  const r = ctx.cfg.retry;
  ctx.retries.arm(pid, ctx.now() + backoffDelay(attempt, r, r.random));
}

/** A retry timer fired: re-send if the edge still has not answered, and schedule the next.
 *  Only the provision's owner re-sends (another core moved it meanwhile: its timers run there). */
export async function onRetry(ctx: Ctx, pid: string): Promise<void> {
  const p = await ctx.store.provision(pid);
  if (!p || !retrying(ctx, p.state) || !owns(ctx, p)) return;
  const o = await ctx.store.order(p.oid);
  if (!o) return;
  if (o.kind === 'remove') {
    if (p.state !== 'REMOVING') return;
    // Remove orders are not stored signed; the same oid makes a copy an answer at the edge.
    sendRemove(ctx, { oid: o.oid, pid, edge: o.edge, imsi: p.imsi });
  } else {
    if (!o.bytes || p.state === 'REMOVING') return;
    publishOrder(ctx, o.edge, o.bytes);
  }
  await ctx.store.orderSent(o.oid);
  const sends = (o.sends ?? 1) + 1;
  if (o.kind === 'remove') ctx.trace(209, 'remove-retry', p.imsi, `${o.edge} #${sends}`);
  else ctx.trace(205, 'deploy-retry', p.imsi, `${o.edge} #${sends}`);
  ctx.log('info', `${o.kind} order re-sent`, { imsi: p.imsi, pid, oid: o.oid, edge: o.edge, sends });
  armRetry(ctx, pid, sends - 1);
}
