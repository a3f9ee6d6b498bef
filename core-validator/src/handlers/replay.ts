// Idempotency of device requests: MQTT QoS 1 may deliver a message twice, and with several cores
// on one database (shared subscriptions) the copy may reach another core, even while the first is
// still handling it. So each (imsi, type, rid) is claimed first, insert-if-absent: one core handles
// it, a redelivery once it is answered gets the stored reply again, and a copy arriving while
// another live core is busy with it is dropped (that core answers). A crashed core's claim is taken
// over once its lease lapses (store.claimRequest).
import { topics } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import type { RequestClaim } from '../store/types.js';

/** Claim the request; unless it is ours to handle now, re-send its stored reply (if any). */
export async function claim(ctx: Ctx, imsi: string, t: string, rid: string): Promise<RequestClaim> {
  const c = await ctx.store.claimRequest(imsi, t, rid, ctx.coreId, ctx.now());
  if (c.kind === 'done' && c.reply) ctx.publish(topics.deviceDown(imsi), c.reply);
  if (c.kind !== 'new') ctx.log('debug', 'duplicate request', { imsi, t, rid, state: c.kind });
  return c;
}

/** True if this request was already handled or is being handled elsewhere (the stored reply, if
 *  any, has been re-sent); false: it is ours now. */
export async function replayed(ctx: Ctx, imsi: string, t: string, rid: string): Promise<boolean> {
  return (await claim(ctx, imsi, t, rid)).kind !== 'new';
}

/** Run the handling of a claimed request; if it throws, drop the claim so a redelivery starts over. */
export async function handled(ctx: Ctx, imsi: string, t: string, rid: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    await ctx.store.releaseRequest(imsi, t, rid, ctx.coreId).catch(() => undefined);
    throw e;
  }
}
