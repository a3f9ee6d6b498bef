// AT+QMTSUB / AT+QMTUNS: subscribe and unsubscribe [Quectel BG95&BG96 MQTT AN §3.2.6-3.2.7].
// Topics come in "<topic>",<qos> pairs; the result follows the OK:
// +QMTSUB: <idx>,<msgid>,<result>,<granted qos...> (result 0 ok, 2 failed).
import { topicFromAt } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { intArg, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { QmtState } from './state.js';

export const qmtsub = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+QMTSUB: (0-5),(1-65535),"<topic>",(0-2)'];
  onlyKinds(c, 'set');
  const idx = numArg(c, 0, 0, 5);
  const msgId = numArg(c, 1, 1, 65535);
  if (c.args.length < 4 || c.args.length % 2 !== 0) throw new AtFail(50);
  const subs: Array<[string, 0 | 1 | 2]> = [];
  for (let i = 2; i < c.args.length; i += 2) subs.push([topicFromAt(needStr(c, i, 1024)), intArg(c, i + 1, [0, 1, 2] as const)]);
  const link = st.client(idx).link;
  if (!link) throw new AtFail();
  Promise.all(subs.map(([t, q]) => link.subscribe(t, q))).then(
    (granted) => st.ctx.urc(`+QMTSUB: ${idx},${msgId},0,${granted.join(',')}`),
    () => st.ctx.urc(`+QMTSUB: ${idx},${msgId},2`),
  );
  return [];
};

export const qmtuns = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+QMTUNS: (0-5),(1-65535),"<topic>"'];
  onlyKinds(c, 'set');
  const idx = numArg(c, 0, 0, 5);
  const msgId = numArg(c, 1, 1, 65535);
  if (c.args.length < 3) throw new AtFail(50);
  const topics = c.args.slice(2).map((_, i) => topicFromAt(needStr(c, i + 2, 1024)));
  const link = st.client(idx).link;
  if (!link) throw new AtFail();
  Promise.all(topics.map((t) => link.unsubscribe(t))).then(
    () => st.ctx.urc(`+QMTUNS: ${idx},${msgId},0`),
    () => st.ctx.urc(`+QMTUNS: ${idx},${msgId},2`),
  );
  return [];
};
