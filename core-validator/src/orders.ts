// Core-signed orders to edges [steps 205, 209]: COSE_Sign1 by the core key over the
// deterministic CBOR of the order [RFC9052 §4.2]. Orders carry iat/exp (seconds) so an edge
// refuses stale ones, and an oid so it applies each once. A deploy order's bytes are kept with
// its record so a retry re-sends exactly the same order (same oid: the edge answers it again
// instead of acting twice).
import { encodeMsg, sign1, topics, type DeployOrder, type RemoveOrder, type ServiceSpec } from '@simedge/device-sdk/wire';
import type { Ctx } from './context.js';

function window(ctx: Ctx): { iat: number; exp: number } {
  const iat = Math.floor(ctx.now() / 1000);
  return { iat, exp: iat + ctx.cfg.orderTtlSec };
}

function sign(ctx: Ctx, order: DeployOrder | RemoveOrder): Uint8Array {
  return sign1(encodeMsg(order), ctx.cfg.coreKid, ctx.cfg.coreKey);
}

export function signDeploy(ctx: Ctx, o: { oid: string; pid: string; edge: string; imsi: string; cls: string; tid: string; svc: ServiceSpec[] }): Uint8Array {
  return sign(ctx, { t: 'deploy', oid: o.oid, pid: o.pid, edge: o.edge, imsi: o.imsi, cls: o.cls, tid: o.tid, ...window(ctx), svc: o.svc });
}

export function publishOrder(ctx: Ctx, edge: string, bytes: Uint8Array): void {
  ctx.publish(topics.edgeOrders(edge), bytes);
}

export function sendRemove(ctx: Ctx, o: { oid: string; pid: string; edge: string; imsi: string }): void {
  publishOrder(ctx, o.edge, sign(ctx, { t: 'remove', oid: o.oid, pid: o.pid, edge: o.edge, imsi: o.imsi, ...window(ctx) }));
}
