// Operation lifecycle of a provision [DESIGN "The flow", steps 205-210]:
//   STARTING (deploy order sent) -> PROCESSING (edge rcvd) -> COMPLETED (edge ready)
//                                \-> FAILED (edge fail)  \-> FAILED_TEMP (deadline passed)
//   any active state -> REMOVING (remove order sent) -> REMOVED (edge removed, device gets term)
// Each transition that waits on an edge arms the provision's deadline; every terminal one clears it.
// While STARTING, the deploy order is re-sent with backoff (retry.ts); a lease or a roaming grace
// period may end an active provision (expiry.ts).
import { CODES, SimedgeError, encodeMsg, isCode, topics, type Code, type Template } from '@simedge/device-sdk/wire';
import type { Ctx } from './context.js';
import { armExpiry } from './expiry.js';
import { newId } from './ids.js';
import { publishOrder, sendRemove, signDeploy } from './orders.js';
import { armRetry } from './retry.js';
import { ACTIVE_STATES, type EndReason, type PlacementRecord, type ProvisionRecord } from './store/types.js';

/** Create the provision, answer `acc`, send the signed deploy order [steps 204 -> 205]. The
 *  template's seq becomes the highest accepted for its id in the same transaction (anti-rollback):
 *  if another core sharing the database accepted a higher seq since the rollback step read it,
 *  the transaction rolls back and this throws TEMPLATE_ROLLBACK, nothing created or sent. */
export async function deploy(ctx: Ctx, req: { imsi: string; rid: string; edge: string; template: Template; placement: PlacementRecord }): Promise<string> {
  const { imsi, rid, edge, template } = req;
  const pid = newId('p');
  const oid = newId('o');
  const now = ctx.now();
  const deadline = now + ctx.cfg.opTimeoutMs;
  const acc = encodeMsg({ t: 'acc', rid, pid, edge });
  const bytes = signDeploy(ctx, { oid, pid, edge, imsi, cls: template.cls, tid: template.tid, svc: template.svc });
  const p: ProvisionRecord = {
    pid, imsi, edge, state: 'STARTING', tid: template.tid, cls: template.cls, rid, oid, created: now, updated: now, deadline,
    seq: template.seq, mfr: template.mfr, services: template.svc.map((s) => s.n), placement: req.placement,
  };
  const lease = ctx.cfg.policy.leaseSec;
  if (lease !== undefined) p.leaseUntil = now + Math.round(lease * 1000);
  await ctx.store.tx(async (tx) => {
    if (!await tx.raiseTemplateSeq(template.mfr, template.tid, template.seq)) {
      throw new SimedgeError('TEMPLATE_ROLLBACK', `${template.tid} seq ${template.seq}: a higher one was accepted meanwhile`);
    }
    await tx.createProvision(p);
    await tx.createOrder({ oid, pid, kind: 'deploy', edge, at: now, bytes, sends: 1 });
    await tx.putReply(imsi, 'prov', rid, acc, now);
  });
  // Publish only once the records are committed: an edge answer must find them.
  ctx.publish(topics.deviceDown(imsi), acc);
  publishOrder(ctx, edge, bytes);
  ctx.deadlines.arm(pid, deadline);
  armRetry(ctx, pid, 0);
  armExpiry(ctx, p);
  ctx.trace(205, 'deploy-order', imsi, edge);
  ctx.log('info', 'deploy order sent', { imsi, pid, oid, edge, tid: template.tid, placement: req.placement.reason });
  return pid;
}

/** Send a remove order for an active provision [step 209]; `term` follows its `removed`. */
export async function remove(ctx: Ctx, p: ProvisionRecord, why: EndReason, endRid?: string): Promise<void> {
  const oid = newId('o');
  const now = ctx.now();
  const deadline = now + ctx.cfg.opTimeoutMs;
  await ctx.store.tx(async (tx) => {
    await tx.createOrder({ oid, pid: p.pid, kind: 'remove', edge: p.edge, at: now });
    await tx.updateProvision(p.pid, { state: 'REMOVING', oid, deadline, endWhy: why, endRid, updated: now });
  });
  ctx.retries.clear(p.pid);
  ctx.expiries.clear(p.pid);
  sendRemove(ctx, { oid, pid: p.pid, edge: p.edge, imsi: p.imsi });
  ctx.deadlines.arm(p.pid, deadline);
  ctx.trace(209, 'remove-order', p.imsi, p.edge);
  ctx.log('info', 'remove order sent', { imsi: p.imsi, pid: p.pid, oid, edge: p.edge, why });
}

/** Remove every active provision of an IMSI (bye, detach). Returns how many. */
export async function teardown(ctx: Ctx, imsi: string, why: EndReason, endRid?: string): Promise<number> {
  const active = (await ctx.store.provisions({ imsi })).filter((p) => ACTIVE_STATES.includes(p.state));
  for (const p of active) await remove(ctx, p, why, endRid);
  return active.length;
}

/** End a deploy in FAILED / FAILED_TEMP and tell the device with `rej` on its prov rid. */
export async function failDeploy(ctx: Ctx, p: ProvisionRecord, state: 'FAILED' | 'FAILED_TEMP', code: string, msg?: string): Promise<void> {
  const now = ctx.now();
  // Edge codes pass through when they are ours; anything else is reported as DEPLOY_FAILED.
  const c: Code = isCode(code) ? code : 'DEPLOY_FAILED';
  const rej = encodeMsg({ t: 'rej', rid: p.rid, code: c, msg: (msg ?? CODES[c]).slice(0, 256) || CODES[c] });
  ctx.deadlines.clear(p.pid);
  ctx.retries.clear(p.pid);
  ctx.expiries.clear(p.pid);
  await ctx.store.tx(async (tx) => {
    await tx.updateProvision(p.pid, { state, code: c, deadline: undefined, updated: now });
    // A redelivered prov with the same rid now gets the failure, not the stale `acc`.
    await tx.putReply(p.imsi, 'prov', p.rid, rej, now);
  });
  ctx.publish(topics.deviceDown(p.imsi), rej);
  ctx.trace(207, 'failed', p.imsi, c);
  ctx.log('warn', 'provision failed', { imsi: p.imsi, pid: p.pid, edge: p.edge, state, code: c });
}

/** The deadline of a provision passed [DESIGN: nothing is ever silently stuck]. */
export async function onDeadline(ctx: Ctx, pid: string): Promise<void> {
  const p = await ctx.store.provision(pid);
  if (!p) return;
  if (p.state === 'STARTING' || p.state === 'PROCESSING') {
    await failDeploy(ctx, p, 'FAILED_TEMP', 'TIMEOUT');
    // The edge may still act on the deploy later; a best-effort remove keeps it from leaking
    // resources. Not tracked: the provision is already terminal.
    const oid = newId('o');
    await ctx.store.createOrder({ oid, pid, kind: 'remove', edge: p.edge, at: ctx.now() });
    sendRemove(ctx, { oid, pid, edge: p.edge, imsi: p.imsi });
    ctx.trace(209, 'remove-order', p.imsi, p.edge);
  } else if (p.state === 'REMOVING') {
    // The edge stopped answering: billing stops where we gave up waiting.
    await ctx.store.tx(async (tx) => {
      await tx.updateProvision(pid, { state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: undefined, updated: ctx.now() });
      await tx.closeCharging(pid, ctx.now());
    });
    ctx.trace(210, 'remove-timeout', p.imsi, p.edge);
    ctx.log('warn', 'remove order not answered before the deadline', { imsi: p.imsi, pid, edge: p.edge });
  }
}

const IN_FLIGHT: readonly string[] = ['STARTING', 'PROCESSING', 'REMOVING'];

/** On start: give operations left by a previous run (file store) their timers back. */
export async function resume(ctx: Ctx): Promise<void> {
  for (const p of await ctx.store.provisions()) {
    if (IN_FLIGHT.includes(p.state)) ctx.deadlines.arm(p.pid, p.deadline ?? ctx.now());
    if (p.state === 'STARTING') armRetry(ctx, p.pid, 0);
    if (ACTIVE_STATES.includes(p.state)) armExpiry(ctx, p);
  }
}
