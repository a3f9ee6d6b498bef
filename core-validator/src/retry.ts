// Order re-sends [issue 4 item 4; DESIGN "Retries use jittered exponential backoff"]: an order the
// edge has not answered yet is re-sent with jittered exponential backoff until the answer comes or
// the operation deadline ends it:
//   - a deploy order while STARTING (until `rcvd`): the very same signed bytes (same oid, same
//     window), so the edge's replay protection turns a copy into a repeated answer;
//   - a remove order while REMOVING (until `removed`), alone or shared: the edge connects with a
//     clean session, so a copy sent while it was away is lost. Re-signed with a fresh window but the
//     same oid: the edge applies an oid once and answers a copy with `removed` again;
//   - the clean-up remove order sent when a deploy timed out (the provision is FAILED_TEMP, its
//     `deadline` is the clean-up's), until `removed` or that deadline (lifecycle.ts). Like the
//     others it survives its core: a restart re-arms it (lifecycle.ts resume), and in shared mode
//     the core that adopts the provision re-sends it once and re-arms it (cluster.ts).
// Shared cores (README "Scale-out") also keep re-sending the deploy order while PROCESSING: an edge
// event goes to one core of the group, and dies with it if that core crashes before handling it;
// the re-sent order makes the edge repeat its answer, to a live core.
import { backoffDelay } from './backoff.js';
import { owns, type Ctx } from './context.js';
import { publishOrder, sendRemove } from './orders.js';
import type { OrderRecord, ProvisionRecord, ProvisionState } from './store/types.js';

/** Whether a provision in `state` has its order re-sent on this core's settings (timers.ts). The
 *  clean-up remove of a timed-out deploy depends on more than the state: cleanupPending(). */
export function retrying(ctx: Ctx, state: ProvisionState): boolean {
  return state === 'STARTING' || state === 'REMOVING' || (ctx.cluster && state === 'PROCESSING');
}

/** A deploy timed out and its clean-up remove order is still unanswered (its deadline is set). */
export function cleaningUp(p: ProvisionRecord): boolean {
  return p.state === 'FAILED_TEMP' && p.endWhy === undefined && p.deadline !== undefined;
}

/** The clean-up remove of `p` is still to be re-sent now: unanswered and within its deadline.
 *  The store's adoptOrphans recognises the same rows (store/kysely.ts). */
export function cleanupPending(ctx: Ctx, p: ProvisionRecord): boolean {
  return cleaningUp(p) && ctx.now() < (p.deadline ?? 0);
}

/** Schedule retry number `attempt` (0 = first) of the provision's current order. */
export function armRetry(ctx: Ctx, pid: string, attempt: number): void {
  const r = ctx.cfg.retry;
  ctx.retries.arm(pid, ctx.now() + backoffDelay(attempt, r, r.random));
}

/** Whether order `o`, the current one of `p`, is still unanswered and within its deadline. */
function due(ctx: Ctx, p: ProvisionRecord, o: OrderRecord): boolean {
  if (o.kind === 'deploy') return o.bytes !== undefined && p.state !== 'REMOVING' && retrying(ctx, p.state);
  if (p.state === 'REMOVING') return true; // onDeadline ends it
  if (!cleaningUp(p)) return false;
  if (ctx.now() < (p.deadline ?? 0)) return true;
  ctx.log('warn', 'clean-up remove order not answered before its deadline', { imsi: p.imsi, pid: p.pid, oid: o.oid, edge: o.edge, sends: o.sends });
  return false;
}

/** A retry timer fired: re-send if the edge still has not answered, and schedule the next.
 *  Only the provision's owner re-sends (another core moved it meanwhile: its timers run there). */
export async function onRetry(ctx: Ctx, pid: string): Promise<void> {
  const p = await ctx.store.provision(pid);
  if (!p || !owns(ctx, p)) return;
  const o = await ctx.store.order(p.oid);
  if (!o || !due(ctx, p, o)) return;
  if (o.kind === 'remove') sendRemove(ctx, { oid: o.oid, pid, edge: o.edge, imsi: p.imsi });
  else if (o.bytes) publishOrder(ctx, o.edge, o.bytes);
  else return;
  await ctx.store.orderSent(o.oid);
  const sends = (o.sends ?? 1) + 1;
  if (o.kind === 'remove') ctx.trace(209, 'remove-retry', p.imsi, `${o.edge} #${sends}`);
  else ctx.trace(205, 'deploy-retry', p.imsi, `${o.edge} #${sends}`);
  ctx.log('info', `${o.kind} order re-sent`, { imsi: p.imsi, pid, oid: o.oid, edge: o.edge, sends });
  armRetry(ctx, pid, sends - 1);
}
