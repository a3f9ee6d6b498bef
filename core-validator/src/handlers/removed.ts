// Edge `removed` [step 210]: REMOVING -> REMOVED, and the device gets `term` with the reason.
import type { Removed } from '@simedge/device-sdk/wire';
import { sendDown, type Ctx } from '../context.js';
import { matchOrder } from './edge-order.js';

export function onRemoved(ctx: Ctx, ev: Removed): void {
  const p = matchOrder(ctx, ev, 'remove');
  if (!p || p.state !== 'REMOVING') return;
  ctx.deadlines.clear(p.pid);
  ctx.store.updateProvision(p.pid, { state: 'REMOVED', deadline: undefined, updated: ctx.now() });
  ctx.trace(210, 'removed', p.imsi, ev.edge);
  const why = p.endWhy ?? 'bye';
  sendDown(ctx, p.imsi, { t: 'term', pid: p.pid, why });
  ctx.trace(210, 'term', p.imsi, why);
}
