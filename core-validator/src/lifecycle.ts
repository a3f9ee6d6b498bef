// Operation lifecycle of a provision [DESIGN "The flow", steps 205-210]:
//   STARTING (deploy order sent) -> PROCESSING (edge rcvd) -> COMPLETED (edge ready)
//                                \-> FAILED (edge fail)  \-> FAILED_TEMP (deadline passed; clean-up remove)
//   any active state -> REMOVING (remove order sent) -> REMOVED (edge removed, device gets term)
//                                                    \-> FAILED_TEMP (deadline passed, device gets term TIMEOUT)
// Each transition that waits on an edge arms the provision's deadline; every terminal one clears it.
// While STARTING the deploy order, and while REMOVING the remove order, is re-sent with backoff
// (retry.ts); a lease or a roaming grace period may end an active provision (expiry.ts).
// Every teardown ends in a `term` to the device [DESIGN step 210], confirmed by the edge or not.
// Every transition is a compare-and-set on the state (store.transition): when several cores share
// the database, the one that loses a race (an edge event against a deadline, a bye against a
// detach) changes nothing and sends nothing. The winner becomes the provision's owner and arms its
// timers (timers.ts); timers fire only on the owner (README "Scale-out").
import { CODES, SimedgeError, encodeMsg, isCode, topics, type Code, type Template } from '@simedge/device-sdk/wire';
import { owns, type Ctx } from './context.js';
import type { HoldNeed } from './edges.js';
import { armExpiry } from './expiry.js';
import { flush, recover, stage } from './outbox.js';
import { newId } from './ids.js';
import { publishOrder, sendRemove, signDeploy } from './orders.js';
import { armRetry } from './retry.js';
import {
  ACTIVE_STATES, type CoreStore, type EndReason, type PlacementRecord, type ProvisionPatch, type ProvisionRecord, type ProvisionState,
} from './store/types.js';
import { syncTimers } from './timers.js';

export interface DeployRequest { imsi: string; rid: string; edge: string; template: Template; placement: PlacementRecord; kid?: string }

/** A deployment written to the store, to announce once its transaction has committed. */
export interface RecordedDeploy { p: ProvisionRecord; acc: Uint8Array; bytes: Uint8Array; need: HoldNeed }

/** Create the provision, answer `acc`, send the signed deploy order [steps 204 -> 205]. The
 *  template's seq becomes the highest accepted for its id in the same transaction (anti-rollback):
 *  if another core sharing the database accepted a higher seq since the rollback step read it,
 *  the transaction rolls back and this throws TEMPLATE_ROLLBACK, nothing created or sent. */
export async function deploy(ctx: Ctx, req: DeployRequest): Promise<string> {
  const d = await ctx.store.tx((tx) => recordDeploy(ctx, tx, req));
  announceDeploy(ctx, d);
  return d.p.pid;
}

/** The store part of deploy(), inside the caller's transaction `tx` (onProv runs the validation
 *  in the same one, so a core that dies half-way leaves nothing, not even a consumed nonce). */
export async function recordDeploy(ctx: Ctx, tx: CoreStore, req: DeployRequest): Promise<RecordedDeploy> {
  const { imsi, rid, edge, template } = req;
  const pid = newId('p');
  const oid = newId('o');
  const now = ctx.now();
  const deadline = now + ctx.cfg.opTimeoutMs;
  const acc = encodeMsg({ t: 'acc', rid, pid, edge });
  const bytes = signDeploy(ctx, { oid, pid, edge, imsi, cls: template.cls, tid: template.tid, svc: template.svc });
  const p: ProvisionRecord = {
    pid, imsi, edge, state: 'STARTING', tid: template.tid, cls: template.cls, rid, oid, created: now, updated: now, deadline,
    seq: template.seq, mfr: template.mfr, services: template.svc.map((s) => s.n), placement: req.placement, owner: ctx.coreId,
  };
  if (req.kid !== undefined) p.kid = req.kid;
  const lease = ctx.cfg.policy.leaseSec;
  if (lease !== undefined) p.leaseUntil = now + Math.round(lease * 1000);
  if (!await tx.raiseTemplateSeq(template.mfr, template.tid, template.seq)) {
    throw new SimedgeError('TEMPLATE_ROLLBACK', `${template.tid} seq ${template.seq}: a higher one was accepted meanwhile`);
  }
  await tx.createProvision(p);
  await tx.createOrder({ oid, pid, kind: 'deploy', edge, at: now, bytes, sends: 1 });
  await tx.putReply(imsi, 'prov', rid, acc, now);
  return { p, acc, bytes, need: holdNeed(template) };
}

/** What the deploy holds on its edge until the edge's status shows it (EdgeTable.holdFor). */
function holdNeed(t: Template): HoldNeed {
  const need: HoldNeed = { cpu: 0, mem: 0, shared: [] };
  for (const s of t.svc) {
    const cpu = s.res?.cpu ?? 0;
    const mem = s.res?.mem ?? 0;
    if (s.share === 'class') need.shared.push({ key: `${t.cls}/${s.n}`, cpu, mem });
    else { need.cpu += cpu; need.mem += mem; }
  }
  return need;
}

/** The publishing part of deploy(): only once the records are committed, so an edge answer finds them. */
export function announceDeploy(ctx: Ctx, d: RecordedDeploy): void {
  const { p, acc, bytes } = d;
  ctx.edges.holdFor(p.pid, p.edge, d.need, p.created); // until ready + a newer status, a failure or a removal
  ctx.publish(topics.deviceDown(p.imsi), acc);
  publishOrder(ctx, p.edge, bytes);
  ctx.deadlines.arm(p.pid, p.deadline ?? ctx.now());
  armRetry(ctx, p.pid, 0);
  armExpiry(ctx, p);
  ctx.trace(205, 'deploy-order', p.imsi, p.edge);
  ctx.log('info', 'deploy order sent', { imsi: p.imsi, pid: p.pid, oid: p.oid, edge: p.edge, tid: p.tid, placement: p.placement?.reason });
}

/** Send a remove order for an active provision [step 209]; `term` follows its `removed`. False
 *  (nothing sent) when the provision is no longer active: another core or message got there first. */
export async function remove(ctx: Ctx, p: ProvisionRecord, why: EndReason, endRid?: string): Promise<boolean> {
  const oid = newId('o');
  const now = ctx.now();
  const deadline = now + ctx.cfg.opTimeoutMs;
  const next = await ctx.store.tx(async (tx) => {
    const moved = await tx.transition(p.pid, ACTIVE_STATES, { state: 'REMOVING', oid, deadline, endWhy: why, endRid, owner: ctx.coreId, updated: now });
    if (moved) await tx.createOrder({ oid, pid: p.pid, kind: 'remove', edge: p.edge, at: now });
    return moved;
  });
  if (!next) return false;
  ctx.edges.release(p.pid);
  sendRemove(ctx, { oid, pid: p.pid, edge: p.edge, imsi: p.imsi });
  ctx.retries.clear(p.pid); // a new order: its re-sends start from the first step
  syncTimers(ctx, next);
  ctx.trace(209, 'remove-order', p.imsi, p.edge);
  ctx.log('info', 'remove order sent', { imsi: p.imsi, pid: p.pid, oid, edge: p.edge, why });
  return true;
}

/** Remove every active provision of an IMSI (bye, detach). Returns how many. */
export async function teardown(ctx: Ctx, imsi: string, why: EndReason, endRid?: string): Promise<number> {
  const active = (await ctx.store.provisions({ imsi })).filter((p) => ACTIVE_STATES.includes(p.state));
  let n = 0;
  for (const p of active) if (await remove(ctx, p, why, endRid)) n++;
  return n;
}

/** A remove order recorded with a failed deploy, so the edge does not keep what it may still set up. */
export interface CleanupRemove { oid: string; deadline: number }

/** End a deploy in FAILED / FAILED_TEMP and tell the device with `rej` on its prov rid. With
 *  `cleanup`, its remove order becomes the provision's current order (with its own deadline) in the
 *  same transaction; the caller sends it. False (nothing sent) when the deploy had already ended (a
 *  `ready` won the race). */
export async function failDeploy(
  ctx: Ctx, p: ProvisionRecord, state: 'FAILED' | 'FAILED_TEMP', code: string, msg?: string, cleanup?: CleanupRemove,
): Promise<boolean> {
  const now = ctx.now();
  // Edge codes pass through when they are ours; anything else is reported as DEPLOY_FAILED.
  const c: Code = isCode(code) ? code : 'DEPLOY_FAILED';
  const down = { t: 'rej' as const, rid: p.rid, code: c, msg: (msg ?? CODES[c]).slice(0, 256) || CODES[c] };
  const patch: ProvisionPatch = { state, code: c, deadline: cleanup?.deadline, owner: ctx.coreId, updated: now };
  if (cleanup) patch.oid = cleanup.oid;
  const done = await ctx.store.tx(async (tx) => {
    const moved = await tx.transition(p.pid, DEPLOYING, patch);
    if (!moved) return undefined;
    if (cleanup) await tx.createOrder({ oid: cleanup.oid, pid: p.pid, kind: 'remove', edge: p.edge, at: now });
    // A redelivered prov with the same rid now gets the failure, not the stale `acc`; the device
    // hears of it even if this core dies before it is sent (outbox.ts).
    const note = await stage(ctx, tx, p.imsi, down);
    await tx.putReply(p.imsi, 'prov', p.rid, note.payload, now);
    return { moved, note };
  });
  if (!done) return false;
  ctx.edges.release(p.pid);
  syncTimers(ctx, done.moved);
  flush(ctx, done.note);
  ctx.trace(207, 'failed', p.imsi, c);
  ctx.log('warn', 'provision failed', { imsi: p.imsi, pid: p.pid, edge: p.edge, state, code: c });
  return true;
}

/** A deploy order is out and not yet answered with ready or fail. */
export const DEPLOYING: readonly ProvisionState[] = ['STARTING', 'PROCESSING'];

/** The `why` of the `term` for a removal the edge did not confirm: the stable code TIMEOUT
 *  ("operation did not complete before its deadline"), where a confirmed one says bye, detach… */
export const REMOVE_TIMEOUT: Code = 'TIMEOUT';

/** The deadline of a provision passed [DESIGN: nothing is ever silently stuck]. Only its owner acts. */
export async function onDeadline(ctx: Ctx, pid: string): Promise<void> {
  const p = await ctx.store.provision(pid);
  if (!p || !owns(ctx, p)) return;
  if (p.state === 'STARTING' || p.state === 'PROCESSING') {
    // The edge may still act on the deploy later, so a remove order goes with the failure and is
    // re-sent until the edge answers `removed` or another opTimeoutMs has passed (retry.ts); the
    // provision stays FAILED_TEMP, the device already has its `rej`.
    const oid = newId('o');
    if (!await failDeploy(ctx, p, 'FAILED_TEMP', 'TIMEOUT', undefined, { oid, deadline: ctx.now() + ctx.cfg.opTimeoutMs })) return;
    sendRemove(ctx, { oid, pid, edge: p.edge, imsi: p.imsi });
    armRetry(ctx, pid, 0);
    ctx.trace(209, 'remove-order', p.imsi, p.edge);
  } else if (p.state === 'REMOVING') {
    // The edge never confirmed the removal (re-sent until now): give up. Billing stops here, and
    // the device still gets its `term`, saying the removal was not confirmed (code TIMEOUT). The
    // provision keeps its endWhy; a late `removed` still moves it to REMOVED (handlers/removed.ts).
    const now = ctx.now();
    const done = await ctx.store.tx(async (tx) => {
      const moved = await tx.transition(pid, ['REMOVING'], { state: 'FAILED_TEMP', code: 'TIMEOUT', deadline: undefined, owner: ctx.coreId, updated: now });
      if (!moved) return undefined;
      await tx.closeCharging(pid, now);
      return { moved, note: await stage(ctx, tx, p.imsi, { t: 'term', pid, why: REMOVE_TIMEOUT }) };
    });
    if (!done) return;
    syncTimers(ctx, done.moved);
    ctx.trace(210, 'remove-timeout', p.imsi, p.edge);
    ctx.log('warn', 'remove order not answered before the deadline', { imsi: p.imsi, pid, oid: p.oid, edge: p.edge, why: p.endWhy });
    flush(ctx, done.note);
    ctx.trace(210, 'term', p.imsi, REMOVE_TIMEOUT);
  }
}

/** On start without `shared`: give operations left by a previous run (file store) their timers back. */
export async function resume(ctx: Ctx): Promise<void> {
  const all = await ctx.store.provisions();
  // syncTimers also re-arms a timed-out deploy's clean-up remove still within its deadline.
  for (const p of all) syncTimers(ctx, p);
  await recover(ctx);
  await dropSuperseded(ctx, all, all);
}

/** Same template, keyed like anti-rollback: (manufacturer, template id), whatever the seq; so
 *  one maker's template never replaces another maker's of the same id. Make-before-break replaces
 *  only the device's older provision of the same template; its other templates stay. */
export function sameTemplate(a: ProvisionRecord, b: ProvisionRecord): boolean {
  return a.tid === b.tid && a.mfr === b.mfr;
}

/** Finish a make-before-break cut short by a crash (between the new provision's COMPLETED commit
 *  and the old one's remove order): of `candidates`, each COMPLETED provision with a newer
 *  COMPLETED one of the same IMSI and template is removed (term roam), as onEdgeReady would have.
 *  `known`: all provisions when the caller has them, else each IMSI's are read. */
export async function dropSuperseded(ctx: Ctx, candidates: readonly ProvisionRecord[], known?: readonly ProvisionRecord[]): Promise<void> {
  // COMPLETED provisions per IMSI, from `known` when given (one pass, not one per candidate).
  const byImsi = new Map<string, ProvisionRecord[]>();
  for (const o of known ?? []) {
    if (o.state !== 'COMPLETED') continue;
    const list = byImsi.get(o.imsi);
    if (list) list.push(o); else byImsi.set(o.imsi, [o]);
  }
  for (const p of candidates) {
    if (p.state !== 'COMPLETED') continue;
    const completed = known ? byImsi.get(p.imsi) ?? [] : await ctx.store.provisions({ imsi: p.imsi, state: 'COMPLETED' });
    if (completed.some((o) => o.pid !== p.pid && sameTemplate(o, p) && o.created > p.created)) await remove(ctx, p, 'roam');
  }
}
