// Idempotency of device requests: MQTT QoS 1 may deliver a message twice, so each (imsi, type,
// rid) is acted on once and a redelivery gets the stored reply again.
import { topics } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';

/** True if this request was already handled (its stored reply, if any, has been re-sent). */
export async function replayed(ctx: Ctx, imsi: string, t: string, rid: string): Promise<boolean> {
  const seen = await ctx.store.reply(imsi, t, rid);
  if (!seen) return false;
  if (seen.reply) ctx.publish(topics.deviceDown(imsi), seen.reply);
  ctx.log('debug', 'duplicate request', { imsi, t, rid });
  return true;
}
