// Shared check for edge events: the event must name an order we sent, of the expected kind, to
// the edge whose topic it came on, for the provision's current order. Anything else is a
// duplicate (QoS 1 redelivery, ignored quietly) or hostile (logged).
import type { EdgeEvent } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import type { OrderRecord, ProvisionRecord } from '../store/types.js';

export async function matchOrder(ctx: Ctx, ev: EdgeEvent, kind: OrderRecord['kind']): Promise<ProvisionRecord | undefined> {
  const order = await ctx.store.order(ev.oid);
  if (!order || order.kind !== kind || order.edge !== ev.edge || order.pid !== ev.pid) {
    ctx.log('warn', 'edge event for an unknown order', { edge: ev.edge, t: ev.t, oid: ev.oid, pid: ev.pid });
    ctx.trace(undefined, 'dropped', undefined, `${ev.t} from ${ev.edge}: unknown order`);
    return undefined;
  }
  const p = await ctx.store.provision(order.pid);
  if (!p || p.oid !== order.oid) {
    ctx.log('debug', 'edge event for a superseded order', { edge: ev.edge, t: ev.t, oid: ev.oid });
    return undefined;
  }
  return p;
}
