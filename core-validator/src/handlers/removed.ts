// Edge `removed` [step 210]: REMOVING -> REMOVED, the provision's charging records close, and
// the device gets `term` with the reason.
import type { Removed } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { matchOrder } from './edge-order.js';

export function onRemoved(ctx: Ctx, ev: Removed): void {
  const p = matchOrder(ctx, ev, 'remove');
  if (!p || p.state !== 'REMOVING') return;
  ctx.deadlines.clear(p.pid);
  const now = ctx.now();
  ctx.store.tx(() => {
    ctx.store.updateProvision(p.pid, { state: 'REMOVED', deadline: undefined, updated: now });
    ctx.store.closeCharging(p.pid, now);
  });
  ctx.trace(210, 'removed', p.imsi, ev.edge);
  const why = p.endWhy ?? 'bye';
  sendDown(ctx, p.imsi, { t: 'term', pid: p.pid, why });
  ctx.trace(210, 'term', p.imsi, why);
}
