// Several cores on one PostgreSQL (the `shared` option, README "Scale-out"). Each core holds a
// liveness lease row (core_leases: owner, until) and renews it every third of `leaseMs`. A
// provision's timers run on its owner only; when a core's lease lapses (it crashed, or stopped and
// dropped it), the next sweep of another core adopts its in-flight and active provisions, and the
// timed-out deploys whose clean-up remove is still pending, in one UPDATE (each goes to one core),
// re-sends their current order once - the edge answers a copy of an order it already has instead
// of acting twice, and the answer may have died with the old core - and arms their timers there
// (a clean-up remove's re-sends too, as a single core's restart does: lifecycle.ts resume). Sweeps
// run through the core's serial queue like any timer. The same sweep deletes the lease rows of
// cores gone for LEASE_ROWS_KEPT leases, so crashed cores' rows do not pile up (a missing row
// reads as lapsed, so deleting one decides nothing).
import type { Ctx } from './context.js';
import { DEPLOYING, dropSuperseded } from './lifecycle.js';
import { recover } from './outbox.js';
import { publishOrder, sendRemove } from './orders.js';
import { cleanupPending } from './retry.js';
import type { ProvisionRecord, ProvisionState } from './store/types.js';
import { syncTimers } from './timers.js';

/** States in which a provision has timers or an order in flight. FAILED_TEMP only while a timed-out
 *  deploy's clean-up remove is pending: the store takes no other FAILED_TEMP row (adoptOrphans). */
const HELD: readonly ProvisionState[] = ['STARTING', 'PROCESSING', 'COMPLETED', 'REMOVING', 'FAILED_TEMP'];

/** A lapsed core's lease row is deleted this many lease periods after it lapsed: long after its
 *  work was adopted (the next sweep does that), and far beyond any clock skew between cores. */
export const LEASE_ROWS_KEPT = 10;

/** Renew this core's lease, adopt the provisions of cores whose lease lapsed, and delete the
 *  lease rows of cores long gone. Returns how many provisions were adopted. */
export async function heartbeat(ctx: Ctx, leaseMs: number): Promise<number> {
  await ctx.store.renewLease(ctx.coreId, ctx.now() + leaseMs);
  const adopted = await ctx.store.adoptOrphans(ctx.coreId, HELD, ctx.now());
  for (const p of adopted) {
    await resend(ctx, p);
    syncTimers(ctx, p);
  }
  // What the dead core committed for devices (ready, term, rej) and did not get out, and a
  // make-before-break it did not finish.
  await recover(ctx);
  await dropSuperseded(ctx, adopted);
  if (adopted.length > 0) ctx.log('info', 'adopted provisions of a core whose lease lapsed', { n: adopted.length });
  const gone = await ctx.store.sweepLeases(ctx.now() - LEASE_ROWS_KEPT * leaseMs);
  if (gone > 0) ctx.log('info', 'deleted the lease rows of cores gone', { n: gone, leases: LEASE_ROWS_KEPT });
  return adopted.length;
}

async function resend(ctx: Ctx, p: ProvisionRecord): Promise<void> {
  if (DEPLOYING.includes(p.state)) {
    const o = await ctx.store.order(p.oid);
    if (!o || o.kind !== 'deploy' || !o.bytes) return;
    await ctx.store.orderSent(o.oid);
    publishOrder(ctx, o.edge, o.bytes);
    ctx.trace(205, 'deploy-retry', p.imsi, `${o.edge} adopted`);
  } else if (p.state === 'REMOVING' || cleanupPending(ctx, p)) {
    // Same oid: an edge that already removed it answers `removed` again. A clean-up remove is sent
    // until its own deadline (retry.ts), which the store checked against the same clock.
    sendRemove(ctx, { oid: p.oid, pid: p.pid, edge: p.edge, imsi: p.imsi });
    await ctx.store.orderSent(p.oid);
    ctx.trace(209, 'remove-order', p.imsi, `${p.edge} adopted`);
  }
}

/** The periodic heartbeat of one core; `run` queues the work (core.ts: the serial queue). */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Ctx, readonly leaseMs: number, private readonly run: (task: () => Promise<void>) => void) {}

  /** First heartbeat (awaited, so start() fails if the database does), then every leaseMs / 3. */
  async start(): Promise<void> {
    await this.ctx.store.renewLease(this.ctx.coreId, this.ctx.now() + this.leaseMs);
    this.timer = setInterval(() => this.run(async () => { await heartbeat(this.ctx, this.leaseMs); }), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /** No more heartbeats; with `release`, drop the lease so other cores adopt at once. */
  async stop(release: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (release) await this.ctx.store.dropLease(this.ctx.coreId).catch(() => undefined);
  }
}
