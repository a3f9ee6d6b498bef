// `bye` [step 208]: the device leaves; remove every active provision [209]. Each `removed`
// then sends `term {why: 'bye'}` [210]. A redelivered bye re-sends the terms already sent, the
// same as the first time: `bye`, or TIMEOUT for a removal the edge did not confirm in time.
// The bye counts as handled only once every removal is under way: a core that dies half-way
// leaves its claim, which another core takes over (after the lease) and finishes.
import type { Bye } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { REMOVE_TIMEOUT, teardown } from '../lifecycle.js';
import { claim, handled } from './replay.js';

export async function onBye(ctx: Ctx, m: Bye): Promise<void> {
  ctx.trace(208, 'bye', m.imsi, m.why);
  const c = await claim(ctx, m.imsi, 'bye', m.rid);
  if (c.kind === 'done') {
    for (const p of await ctx.store.provisions({ imsi: m.imsi })) {
      if (p.endRid !== m.rid) continue;
      const timedOut = p.code === REMOVE_TIMEOUT;
      if (p.state === 'REMOVED' || (p.state === 'FAILED_TEMP' && timedOut)) sendDown(ctx, m.imsi, { t: 'term', pid: p.pid, why: timedOut ? REMOVE_TIMEOUT : 'bye' });
    }
    return;
  }
  if (c.kind === 'busy') return;
  await handled(ctx, m.imsi, 'bye', m.rid, async () => {
    const n = await teardown(ctx, m.imsi, 'bye', m.rid);
    await ctx.store.putReply(m.imsi, 'bye', m.rid, undefined, ctx.now());
    ctx.log('info', 'bye', { imsi: m.imsi, rid: m.rid, why: m.why, removing: n });
  });
}
