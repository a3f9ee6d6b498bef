// `bye` [step 208]: the device leaves; remove every active provision [209]. Each `removed`
// then sends `term {why: 'bye'}` [210]. A redelivered bye re-sends the terms already sent.
import type { Bye } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { teardown } from '../lifecycle.js';

export function onBye(ctx: Ctx, m: Bye): void {
  ctx.trace(208, 'bye', m.imsi, m.why);
  if (ctx.store.reply(m.imsi, 'bye', m.rid)) {
    for (const p of ctx.store.provisions({ imsi: m.imsi, state: 'REMOVED' })) {
      if (p.endRid === m.rid) sendDown(ctx, m.imsi, { t: 'term', pid: p.pid, why: 'bye' });
    }
    return;
  }
  ctx.store.putReply(m.imsi, 'bye', m.rid, undefined, ctx.now());
  const n = teardown(ctx, m.imsi, 'bye', m.rid);
  ctx.log('info', 'bye', { imsi: m.imsi, rid: m.rid, why: m.why, removing: n });
}
