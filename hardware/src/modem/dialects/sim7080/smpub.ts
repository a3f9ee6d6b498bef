// AT+SMPUB="<topic>",<len>,<qos>,<retain>: `>` prompt, exactly <len> raw bytes, OK once handed to
// the broker (QoS 1/2: once acknowledged), ERROR on failure [SIM7080 Series AT Manual §13.2.5].
import { topicFromAt } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { SmState } from './state.js';

export const SM_MAX_PAYLOAD = 1024;

export const smpub = (st: SmState): Handler => (_m, c) => {
  if (c.kind === 'test') return [`+SMPUB: 128,${SM_MAX_PAYLOAD},(0-2),(0-1)`];
  onlyKinds(c, 'set');
  maxArgs(c, 4);
  const topic = topicFromAt(needStr(c, 0, 128));
  const len = numArg(c, 1, 1, SM_MAX_PAYLOAD);
  const qos = intArg(c, 2, [0, 1, 2] as const);
  const retain = intArg(c, 3, [0, 1] as const) === 1;
  if (!st.link) throw new AtFail();
  return {
    prompt: len,
    onData: (data) => {
      const link = st.link;
      if (!link) throw new AtFail();
      return link.publish(topic, data, qos, retain).then(() => [], () => { throw new AtFail(); });
    },
  };
};
