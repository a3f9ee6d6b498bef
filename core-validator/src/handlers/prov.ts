// `prov` [steps 203-205]: run the validation pipeline; on success create the provision, answer
// `acc` and send the deploy order; on failure answer `rej` with the step's stable code.
import { CODES, encodeMsg, isSimedgeError, topics, type Prov } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { deploy } from '../lifecycle.js';
import { validateProv, type Validated } from '../validate/pipeline.js';
import { replayed } from './replay.js';

export function onProv(ctx: Ctx, m: Prov): void {
  ctx.trace(203, 'prov', m.imsi);
  if (replayed(ctx, m.imsi, 'prov', m.rid)) return;
  const now = ctx.now();
  let ok: Validated;
  try {
    ok = validateProv(m, { store: ctx.store, edges: ctx.edges, now, policy: ctx.cfg.policy });
  } catch (e) {
    if (!isSimedgeError(e)) throw e;
    // The device sees the code and its fixed message; the detail stays in our log.
    const rej = encodeMsg({ t: 'rej', rid: m.rid, code: e.code, msg: CODES[e.code] });
    ctx.store.putReply(m.imsi, 'prov', m.rid, rej, now);
    ctx.publish(topics.deviceDown(m.imsi), rej);
    ctx.trace(204, 'rejected', m.imsi, e.code);
    ctx.log('info', 'prov rejected', { imsi: m.imsi, rid: m.rid, code: e.code, detail: e.detail });
    return;
  }
  ctx.trace(204, 'validated', m.imsi, ok.template.tid);
  deploy(ctx, { imsi: m.imsi, rid: m.rid, edge: ok.edge, template: ok.template, placement: ok.placement });
}
