// AT+SMSUB="<topic>",<qos> and AT+SMUNSUB="<topic>": OK once the broker acknowledged, ERROR
// otherwise [SIM7080 Series AT Command Manual §13.2.6-13.2.7].
import { topicFromAt } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { intArg, maxArgs, needStr, onlyKinds, type Handler } from '../../handlers/types.js';
import type { SmState } from './state.js';

export const smsub = (st: SmState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+SMSUB: 128,(0-2)'];
  onlyKinds(c, 'set');
  maxArgs(c, 2);
  const topic = topicFromAt(needStr(c, 0, 128));
  const qos = intArg(c, 1, [0, 1, 2] as const);
  const link = st.link;
  if (!link) throw new AtFail();
  return link.subscribe(topic, qos).then(() => [], () => { throw new AtFail(); });
};

export const smunsub = (st: SmState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 1);
  const topic = topicFromAt(needStr(c, 0, 128));
  const link = st.link;
  if (!link) throw new AtFail();
  return link.unsubscribe(topic).then(() => [], () => { throw new AtFail(); });
};
