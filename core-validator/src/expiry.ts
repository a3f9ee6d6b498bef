// Ends of an active provision that no device message announces [DESIGN step 208]:
//   - lease: the policy gives every accepted provision `leaseSec`; then it is torn down (`lease`);
//   - roaming: the network reports an attach where the placement tables name another edge; the device
//     has `roamGraceSec` to re-provision (make-before-break removes the old provision once the new
//     one is ready), else the old one is torn down (`roam`). Attaching back cancels the grace.
// One timer per provision, at the earlier of the two.
import { owns, type Ctx } from './context.js';
import { remove } from './lifecycle.js';
import { preferredEdge } from './placement.js';
import { ACTIVE_STATES, type AttachRecord, type ProvisionRecord } from './store/types.js';
import { syncTimers } from './timers.js';
import { placementTables } from './validate/policy-steps.js';

function nextEnd(p: ProvisionRecord): number | undefined {
  const ends = [p.leaseUntil, p.roamBy].filter((t): t is number => t !== undefined);
  return ends.length ? Math.min(...ends) : undefined;
}

export function armExpiry(ctx: Ctx, p: ProvisionRecord): void {
  const at = nextEnd(p);
  if (at === undefined) ctx.expiries.clear(p.pid);
  else ctx.expiries.arm(p.pid, at);
}

export async function onExpiry(ctx: Ctx, pid: string): Promise<void> {
  const p = await ctx.store.provision(pid);
  if (!p || !ACTIVE_STATES.includes(p.state) || !owns(ctx, p)) return;
  const now = ctx.now();
  if (p.roamBy !== undefined && now >= p.roamBy) {
    ctx.log('info', 'device roamed away and did not re-provision', { imsi: p.imsi, pid, edge: p.edge });
    await remove(ctx, p, 'roam');
    return;
  }
  if (p.leaseUntil !== undefined && now >= p.leaseUntil) {
    ctx.log('info', 'lease expired', { imsi: p.imsi, pid, edge: p.edge });
    await remove(ctx, p, 'lease');
    return;
  }
  armExpiry(ctx, p); // fired early against the (injectable) clock: wait again
}

/** The edge the placement tables name first for this location, whatever its health or load: an
 *  edge that is briefly offline, or statuses not yet replayed after a restart, are no roaming. */
async function homeEdge(ctx: Ctx, a: AttachRecord): Promise<string | undefined> {
  const tables = await placementTables(ctx.store, a.tai !== undefined ? [a.cell, a.tai] : [a.cell]);
  return preferredEdge({ ...tables, edges: ctx.edges.list() });
}

/** Network intake [step 201]: a (new) attach of the IMSI; start or cancel roaming grace periods. */
export async function onAttach(ctx: Ctx, a: AttachRecord): Promise<void> {
  const active = (await ctx.store.provisions({ imsi: a.imsi })).filter((p) => ACTIVE_STATES.includes(p.state));
  if (active.length === 0) return;
  const preferred = await homeEdge(ctx, a);
  // No edge is named for the new location: nothing nearer to move to, so keep the service.
  if (preferred === undefined) return;
  const now = ctx.now();
  for (const p of active) {
    const elsewhere = preferred !== p.edge;
    if (elsewhere && p.roamBy === undefined) {
      const roamBy = now + Math.round(ctx.cfg.policy.roamGraceSec * 1000);
      // This core arms the grace timer, so it becomes the owner (README "Scale-out").
      const next = await ctx.store.transition(p.pid, ACTIVE_STATES, { roamBy, owner: ctx.coreId, updated: now });
      if (!next) continue;
      syncTimers(ctx, next);
      ctx.trace(208, 'roam', a.imsi, `${p.edge} -> ${preferred}`);
      ctx.log('info', 'attach elsewhere: roaming grace started', { imsi: a.imsi, pid: p.pid, edge: p.edge, preferred, roamBy });
    } else if (!elsewhere && p.roamBy !== undefined) {
      const next = await ctx.store.transition(p.pid, ACTIVE_STATES, { roamBy: undefined, owner: ctx.coreId, updated: now });
      if (!next) continue;
      syncTimers(ctx, next);
      ctx.log('info', 'attached back: roaming grace cancelled', { imsi: a.imsi, pid: p.pid, edge: p.edge });
    }
  }
}
