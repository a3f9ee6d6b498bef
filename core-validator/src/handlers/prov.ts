// `prov` [steps 203-205]: run the validation pipeline; on success create the provision, answer
// `acc` and send the deploy order; on failure answer `rej` with the step's stable code.
// Validation (which consumes the nonce) and its outcome (the provision, or the stored `rej`) are
// one transaction, published only after it commits: a core that dies half-way leaves the nonce
// unspent, so the core that takes over the request (README "Scale-out") can still validate it.
import { CODES, encodeMsg, isSimedgeError, topics, type Prov, type SimedgeError } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { announceDeploy, recordDeploy, type RecordedDeploy } from '../lifecycle.js';
import { validateProv } from '../validate/pipeline.js';
import { handled, replayed } from './replay.js';

type Outcome = { ok: RecordedDeploy } | { err: SimedgeError; rej: Uint8Array };

export async function onProv(ctx: Ctx, m: Prov): Promise<void> {
  ctx.trace(203, 'prov', m.imsi);
  if (await replayed(ctx, m.imsi, 'prov', m.rid)) return;
  await handled(ctx, m.imsi, 'prov', m.rid, async () => {
    const now = ctx.now();
    const out = await ctx.store.tx(async (tx): Promise<Outcome> => {
      try {
        const ok = await validateProv(m, { store: tx, edges: ctx.edges, now, policy: ctx.cfg.policy });
        // Still refused here on TEMPLATE_ROLLBACK (another core accepted a newer seq meanwhile).
        return { ok: await recordDeploy(ctx, tx, { imsi: m.imsi, rid: m.rid, edge: ok.edge, template: ok.template, placement: ok.placement, kid: ok.key.kid }) };
      } catch (e) {
        if (!isSimedgeError(e)) throw e;
        // The device sees the code and its fixed message; the detail stays in our log.
        const rej = encodeMsg({ t: 'rej', rid: m.rid, code: e.code, msg: CODES[e.code] });
        await tx.putReply(m.imsi, 'prov', m.rid, rej, now);
        return { err: e, rej };
      }
    });
    if ('ok' in out) {
      ctx.trace(204, 'validated', m.imsi, out.ok.p.tid);
      announceDeploy(ctx, out.ok);
      return;
    }
    ctx.publish(topics.deviceDown(m.imsi), out.rej);
    ctx.trace(204, 'rejected', m.imsi, out.err.code);
    ctx.log('info', 'prov rejected', { imsi: m.imsi, rid: m.rid, code: out.err.code, detail: out.err.detail });
  });
}
