// Operation lifecycle of a provision [DESIGN "The flow", steps 205-210]:
//   STARTING (deploy order sent) -> PROCESSING (edge rcvd) -> COMPLETED (edge ready)
//                                \-> FAILED (edge fail)  \-> FAILED_TEMP (deadline passed)
//   any active state -> REMOVING (remove order sent) -> REMOVED (edge removed, device gets term)
// Each transition that waits on an edge arms the provision's deadline; every terminal one clears it.
import { CODES, encodeMsg, isCode, topics, type Code, type Template } from '@simedge/device-sdk/wire';
import type { Ctx } from './context.js';
import { newId } from './ids.js';
import { sendDeploy, sendRemove } from './orders.js';
import { ACTIVE_STATES, type EndReason, type ProvisionRecord } from './store/types.js';

/** Create the provision, answer `acc`, send the signed deploy order [steps 204 -> 205]. */
export function deploy(ctx: Ctx, req: { imsi: string; rid: string; edge: string; template: Template }): string {
  const { imsi, rid, edge, template } = req;
  const pid = newId('p');
  const oid = newId('o');
  const now = ctx.now();
  const deadline = now + ctx.cfg.opTimeoutMs;
  const acc = encodeMsg({ t: 'acc', rid, pid, edge });
  ctx.store.tx(() => {
    ctx.store.createProvision({ pid, imsi, edge, state: 'STARTING', tid: template.tid, cls: template.cls, rid, oid, created: now, updated: now, deadline });
    ctx.store.createOrder({ oid, pid, kind: 'deploy', edge, at: now });
    ctx.store.putReply(imsi, 'prov', rid, acc, now);
  });
  // Publish only once the records are committed: an edge answer must find them.
  ctx.publish(topics.deviceDown(imsi), acc);
  sendDeploy(ctx, { oid, pid, edge, imsi, cls: template.cls, tid: template.tid, svc: template.svc });
  ctx.deadlines.arm(pid, deadline);
  ctx.trace(205, 'deploy-order', imsi, edge);
  ctx.log('info', 'deploy order sent', { imsi, pid, oid, edge, tid: template.tid });
  return pid;
}

/** Send a remove order for an active provision [step 209]; `term` follows its `removed`. */
export function remove(ctx: Ctx, p: ProvisionRecord, why: EndReason, endRid?: string): void {
  const oid = newId('o');
  const now = ctx.now();
  const deadline = now + ctx.cfg.opTimeoutMs;
  ctx.store.tx(() => {
    ctx.store.createOrder({ oid, pid: p.pid, kind: 'remove', edge: p.edge, at: now });
    ctx.store.updateProvision(p.pid, { state: 'REMOVING', oid, deadline, endWhy: why, endRid, updated: now });
  });
  sendRemove(ctx, { oid, pid: p.pid, edge: p.edge, imsi: p.imsi });
  ctx.deadlines.arm(p.pid, deadline);
  ctx.trace(209, 'remove-order', p.imsi, p.edge);
  ctx.log('info', 'remove order sent', { imsi: p.imsi, pid: p.pid, oid, edge: p.edge, why });
}

/** Remove every active provision of an IMSI (bye, detach). Returns how many. */
export function teardown(ctx: Ctx, imsi: string, why: EndReason, endRid?: string): number {
  const active = ctx.store.provisions({ imsi }).filter((p) => ACTIVE_STATES.includes(p.state));
  for (const p of active) remove(ctx, p, why, endRid);
  return active.length;
}

/** End a deploy in FAILED / FAILED_TEMP and tell the device with `rej` on its prov rid. */
export function failDeploy(ctx: Ctx, p: ProvisionRecord, state: 'FAILED' | 'FAILED_TEMP', code: string, msg?: string): void {
  const now = ctx.now();
  // Edge codes pass through when they are ours; anything else is reported as DEPLOY_FAILED.
  const c: Code = isCode(code) ? code : 'DEPLOY_FAILED';
  const rej = encodeMsg({ t: 'rej', rid: p.rid, code: c, msg: (msg ?? CODES[c]).slice(0, 256) || CODES[c] });
  ctx.deadlines.clear(p.pid);
  ctx.store.tx(() => {
    ctx.store.updateProvision(p.pid, { state, code: c, deadline: undefined, updated: now });
    // A redelivered prov with the same rid now gets the failure, not the stale `acc`.
    ctx.store.putReply(p.imsi, 'prov', p.rid, rej, now);
  });
  ctx.publish(topics.deviceDown(p.imsi), rej);
  ctx.trace(207, 'failed', p.imsi, c);
  ctx.log('warn', 'provision failed', { imsi: p.imsi, pid: p.pid, edge: p.edge, state, code: c });
}

/** The deadline of a provision passed [DESIGN: nothing is ever silently stuck]. */
export function onDeadline(ctx: Ctx, pid: string): void {
  const p = ctx.store.provision(pid);
  if (!p) return;
  if (p.state === 'STARTING' || p.state === 'PROCESSING') {
    failDeploy(ctx, p, 'FAILED_TEMP', 'TIMEOUT');
    // The edge may still act on the deploy later; a best-effort remove keeps it from leaking
    // resources. Not tracked: the provision is already terminal.
    const oid = newId('o');
    ctx.store.createOrder({ oid, pid, kind: 'remove', edge: p.edge, at: ctx.now() });
    sendRemove(ctx, { oid, pid, edge: p.edge, imsi: p.imsi });
    ctx.trace(209, 'remove-order', p.imsi, p.edge);
  } else if (p.state === 'REMOVING') {
    ctx.store.updateProvision(pid, { state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: undefined, updated: ctx.now() });
    ctx.trace(210, 'remove-timeout', p.imsi, p.edge);
    ctx.log('warn', 'remove order not answered before the deadline', { imsi: p.imsi, pid, edge: p.edge });
  }
}
