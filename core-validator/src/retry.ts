// Deploy-order retries [issue 4 item 4]: while a provision is STARTING (the edge has not said
// `rcvd`), its deploy order is re-sent with jittered exponential backoff until the operation
// deadline ends it. The very same signed bytes go out each time (same oid, same window), so the
// edge's replay protection turns a duplicate into a repeated answer, never a second deployment.
import { backoffDelay } from './backoff.js';
import type { Ctx } from './context.js';
import { publishOrder } from './orders.js';

/** Schedule retry number `attempt` (0 = first) of the provision's current deploy order. */
export function armRetry(ctx: Ctx, pid: string, attempt: number): void {
  const r = ctx.cfg.retry;
  ctx.retries.arm(pid, ctx.now() + backoffDelay(attempt, r, r.random));
}

/** A retry timer fired: re-send if the edge still has not acknowledged, and schedule the next. */
export async function onRetry(ctx: Ctx, pid: string): Promise<void> {
  const p = await ctx.store.provision(pid);
  if (!p || p.state !== 'STARTING') return;
  const o = await ctx.store.order(p.oid);
  if (!o || o.kind !== 'deploy' || !o.bytes) return;
  await ctx.store.orderSent(o.oid);
  publishOrder(ctx, o.edge, o.bytes);
  const sends = (o.sends ?? 1) + 1;
  ctx.trace(205, 'deploy-retry', p.imsi, `${o.edge} #${sends}`);
  ctx.log('info', 'deploy order re-sent', { imsi: p.imsi, pid, oid: o.oid, edge: o.edge, sends });
  armRetry(ctx, pid, sends - 1);
}
