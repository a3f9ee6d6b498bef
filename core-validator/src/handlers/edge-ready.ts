// Edge `ready` [step 207]: the services run; COMPLETED, and the device gets `ready` with the
// endpoints. Make-before-break on roaming/re-provisioning: only now is any older COMPLETED
// provision of the IMSI with the same template (mfr, tid) removed (`term {why: 'roam'}` follows
// its `removed`); the device's provisions of other templates stay (a plan may allow several,
// `maxProvisions`). The charging records of the provision's services open now. The move is a
// compare-and-set (README "Scale-out"); the device's `ready` is committed with it (outbox.ts), so a
// crash before it is out loses nothing.
import type { EdgeReady } from '@simedge/device-sdk/wire';
import type { ProvisionRecord } from '../store/types.js';
import { openCharging } from '../charging.js';
import type { Ctx } from '../context.js';
import { DEPLOYING, remove, sameTemplate } from '../lifecycle.js';
import { flush, stage } from '../outbox.js';
import { syncTimers } from '../timers.js';
import { matchOrder } from './edge-order.js';

export async function onEdgeReady(ctx: Ctx, ev: EdgeReady): Promise<void> {
  const p = await matchOrder(ctx, ev, 'deploy');
  if (!p) return;
  if (p.state === 'COMPLETED') return relayMoved(ctx, p, ev);
  if (p.state !== 'STARTING' && p.state !== 'PROCESSING') return;
  const now = ctx.now();
  // Compare-and-set: of two cores (or a deadline) racing on this provision, one moves it.
  const done = await ctx.store.tx(async (tx) => {
    const moved = await tx.transition(p.pid, DEPLOYING, { state: 'COMPLETED', svc: ev.svc, deadline: undefined, owner: ctx.coreId, updated: now });
    if (!moved) return undefined;
    await openCharging(tx, p, now);
    // The same template's earlier provisions only: this one replaces them, not the device's others.
    const others = (await tx.provisions({ imsi: p.imsi, state: 'COMPLETED' })).filter((o) => o.pid !== p.pid && sameTemplate(o, p));
    // A provision that completes after a newer one of its template did is the stale one: no ready for it.
    const stale = others.some((o) => o.created > p.created);
    const note = stale ? undefined : await stage(ctx, tx, p.imsi, { t: 'ready', pid: p.pid, edge: p.edge, svc: ev.svc });
    return { moved, others, note };
  });
  if (!done) return;
  ctx.edges.readyFor(p.pid); // held until the edge's next status shows it
  syncTimers(ctx, done.moved);
  ctx.trace(207, 'ready', p.imsi, ev.edge);
  if (!done.note) {
    // Drop the stale one, keep the newer.
    await remove(ctx, { ...p, state: 'COMPLETED' }, 'roam');
    return;
  }
  flush(ctx, done.note);
  for (const o of done.others) await remove(ctx, o, 'roam');
}

/** A second ready for a COMPLETED provision: a redelivery (same endpoints: ignored) or the edge
 *  restarted a service on another endpoint (after an agent crash, the old port taken): store and
 *  relay the new endpoints so the device does not keep a stale one. */
async function relayMoved(ctx: Ctx, p: ProvisionRecord, ev: EdgeReady): Promise<void> {
  if (JSON.stringify(p.svc ?? []) === JSON.stringify(ev.svc)) return;
  const note = await ctx.store.tx(async (tx) => {
    if (!await tx.transition(p.pid, ['COMPLETED'], { svc: ev.svc, updated: ctx.now() })) return undefined;
    return stage(ctx, tx, p.imsi, { t: 'ready', pid: p.pid, edge: p.edge, svc: ev.svc });
  });
  if (!note) return;
  ctx.trace(207, 'moved', p.imsi, `${ev.edge} ${ev.svc.map((s) => `${s.n}@${s.ep}`).join(',')}`);
  flush(ctx, note);
}
