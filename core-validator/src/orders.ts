// Core-signed orders to edges [steps 205, 209]: COSE_Sign1 by the core key over the
// deterministic CBOR of the order [RFC9052 §4.2]. Orders carry iat/exp (seconds) so an edge
// refuses stale ones, and an oid so it applies each once.
import { encodeMsg, sign1, topics, type DeployOrder, type RemoveOrder, type ServiceSpec } from '@simedge/device-sdk/wire';
import type { Ctx } from './context.js';

function window(ctx: Ctx): { iat: number; exp: number } {
  const iat = Math.floor(ctx.now() / 1000);
  return { iat, exp: iat + ctx.cfg.orderTtlSec };
}

function send(ctx: Ctx, edge: string, order: DeployOrder | RemoveOrder): void {
  ctx.publish(topics.edgeOrders(edge), sign1(encodeMsg(order), ctx.cfg.coreKid, ctx.cfg.coreKey));
}

export function sendDeploy(ctx: Ctx, o: { oid: string; pid: string; edge: string; imsi: string; cls: string; tid: string; svc: ServiceSpec[] }): void {
  send(ctx, o.edge, { t: 'deploy', oid: o.oid, pid: o.pid, edge: o.edge, imsi: o.imsi, cls: o.cls, tid: o.tid, ...window(ctx), svc: o.svc });
}

export function sendRemove(ctx: Ctx, o: { oid: string; pid: string; edge: string; imsi: string }): void {
  send(ctx, o.edge, { t: 'remove', oid: o.oid, pid: o.pid, edge: o.edge, imsi: o.imsi, ...window(ctx) });
}
