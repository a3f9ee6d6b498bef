// `prov` [steps 203-205]: run the validation pipeline; on success create the provision, answer
// `acc` and send the deploy order; on failure answer `rej` with the step's stable code.
import { CODES, encodeMsg, isSimedgeError, topics, type Prov } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { deploy } from '../lifecycle.js';
import { validateProv, type Validated } from '../validate/pipeline.js';
import { replayed } from './replay.js';

export async function onProv(ctx: Ctx, m: Prov): Promise<void> {
  ctx.trace(203, 'prov', m.imsi);
  if (await replayed(ctx, m.imsi, 'prov', m.rid)) return;
  const now = ctx.now();
  try {
    const ok: Validated = await validateProv(m, { store: ctx.store, edges: ctx.edges, now, policy: ctx.cfg.policy });
    ctx.trace(204, 'validated', m.imsi, ok.template.tid);
    // deploy() may still refuse (TEMPLATE_ROLLBACK: another core accepted a newer seq meanwhile).
    await deploy(ctx, { imsi: m.imsi, rid: m.rid, edge: ok.edge, template: ok.template, placement: ok.placement });
  } catch (e) {
    if (!isSimedgeError(e)) throw e;
    // The device sees the code and its fixed message; the detail stays in our log.
    const rej = encodeMsg({ t: 'rej', rid: m.rid, code: e.code, msg: CODES[e.code] });
    await ctx.store.putReply(m.imsi, 'prov', m.rid, rej, now);
    ctx.publish(topics.deviceDown(m.imsi), rej);
    ctx.trace(204, 'rejected', m.imsi, e.code);
    ctx.log('info', 'prov rejected', { imsi: m.imsi, rid: m.rid, code: e.code, detail: e.detail });
  }
}
