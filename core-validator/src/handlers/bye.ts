// `bye` [step 208]: the device leaves; remove every active provision [209]. Each `removed`
// then sends `term {why: 'bye'}` [210]. A redelivered bye re-sends the terms already sent.
import type { Bye } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { teardown } from '../lifecycle.js';

export async function onBye(ctx: Ctx, m: Bye): Promise<void> {
  ctx.trace(208, 'bye', m.imsi, m.why);
  if (await ctx.store.reply(m.imsi, 'bye', m.rid)) {
    for (const p of await ctx.store.provisions({ imsi: m.imsi, state: 'REMOVED' })) {
      if (p.endRid === m.rid) sendDown(ctx, m.imsi, { t: 'term', pid: p.pid, why: 'bye' });
    }
    return;
  }
  await ctx.store.putReply(m.imsi, 'bye', m.rid, undefined, ctx.now());
  const n = await teardown(ctx, m.imsi, 'bye', m.rid);
  ctx.log('info', 'bye', { imsi: m.imsi, rid: m.rid, why: m.why, removing: n });
}
