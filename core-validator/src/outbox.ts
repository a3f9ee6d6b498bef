// Device notifications that must survive a crash: `ready` (the services run), `term` (they are
// gone) and a deploy's `rej`. Each is written in the transaction of the state change it reports
// (stage), sent once that commits (flush), and deleted when the broker has acknowledged it. A core
// that dies between the commit and the broker's PUBACK leaves the row: the core that adopts its
// work when its lease lapses (shared mode) or the next run on the same database sends it (recover).
// Delivery is at least once: a copy may reach the device twice; the device SDK ignores a second
// ready or term for the same pid.
import { encodeMsg, topics, type DownMsg } from '@simedge/device-sdk/wire';
import type { Ctx } from './context.js';
import { newId } from './ids.js';
import type { CoreStore, OutboxRecord } from './store/types.js';

/** Record `msg` for `imsi` in the caller's transaction `tx`; flush() it after the commit. */
export async function stage(ctx: Ctx, tx: CoreStore, imsi: string, msg: DownMsg): Promise<OutboxRecord> {
  const r: OutboxRecord = { id: newId('n'), imsi, payload: encodeMsg(msg), owner: ctx.coreId, at: ctx.now() };
  await tx.putOutbox(r);
  return r;
}

/** Send a committed notification; its row goes once the broker has it. */
export function flush(ctx: Ctx, r: OutboxRecord): void {
  ctx.publish(topics.deviceDown(r.imsi), r.payload, () => ctx.queue('outbox', () => ctx.store.deleteOutbox(r.id)));
}

/** Send what a crashed core, or this database's previous run, committed and did not get out. */
export async function recover(ctx: Ctx): Promise<number> {
  const left = await ctx.store.adoptOutbox(ctx.coreId, ctx.now());
  for (const r of left) flush(ctx, r);
  if (left.length > 0) ctx.log('info', 'sending device notifications left unsent', { n: left.length });
  return left.length;
}
