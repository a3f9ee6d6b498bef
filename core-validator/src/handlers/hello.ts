// `hello` [step 203]: answer with a challenge, a fresh single-use nonce bound to the IMSI.
// Every IMSI gets one, known or not, so the challenge does not reveal who is a subscriber.
import { encodeMsg, topics, type Hello } from '@simedge/device-sdk/wire';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { handled, replayed } from './replay.js';

export const NONCE_BYTES = 16;

export async function onHello(ctx: Ctx, m: Hello): Promise<void> {
  ctx.trace(203, 'hello', m.imsi, m.why);
  if (await replayed(ctx, m.imsi, 'hello', m.rid)) return;
  await handled(ctx, m.imsi, 'hello', m.rid, async () => {
    const now = ctx.now();
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
    const chal = encodeMsg({ t: 'chal', rid: m.rid, nonce, ttl: ctx.cfg.nonceTtlSec });
    await ctx.store.tx(async (tx) => {
      await tx.putNonce(m.imsi, nonce, now + ctx.cfg.nonceTtlSec * 1000, now);
      await tx.putReply(m.imsi, 'hello', m.rid, chal, now);
    });
    ctx.publish(topics.deviceDown(m.imsi), chal);
    ctx.trace(203, 'chal', m.imsi);
    ctx.log('info', 'hello', { imsi: m.imsi, rid: m.rid, why: m.why, cell: m.cell, plmn: m.plmn });
  });
}
