// The core's side of an Accounting-On/Off [RFC2866 §5.1]: the NAS restarted (On) or is going
// down (Off), so every session it held is over, and so is each IMSI's attach through it. The
// sessions come from the store, not from the memory of the process that heard the On: the attach
// record names the NAS and Acct-Session-Id that reported it (migration 007, written by the
// Start / Interim-Update's attach upsert and deleted with the attach by a Stop), so a NAS reset
// also ends sessions that started before a core restart, or whose Start another core heard.
// Each IMSI then goes the way of an Accounting-Stop (core.detach): its provisions are torn down
// and the device gets `term {why: 'detach'}` once the edge confirms.
import type { Ctx } from '../context.js';
import { teardown } from '../lifecycle.js';
import type { NasResetEvent } from './server.js';

/** End every attach NAS `ev.nas` reported up to `ev.at` and tear its IMSI's provisions down.
 *  The records are taken in one DELETE ... RETURNING (store.endNasSessions), so a repeated On
 *  finds nothing left, and of two cores hearing it each session is ended by one; the removals
 *  are compare-and-set as always. Returns how many attaches ended. */
export async function endNasSessions(ctx: Ctx, ev: NasResetEvent): Promise<number> {
  const ended = await ctx.store.endNasSessions(ev.nas, ev.at);
  for (const a of ended) {
    ctx.trace(208, 'detach', a.imsi);
    const removing = await teardown(ctx, a.imsi, 'detach');
    ctx.log('info', 'detach', { imsi: a.imsi, removing, nas: ev.nas, session: a.session, why: `accounting-${ev.status}` });
  }
  ctx.log('info', `accounting-${ev.status}: sessions of the NAS ended`, { nas: ev.nas, at: ev.at, ended: ended.length });
  return ended.length;
}
