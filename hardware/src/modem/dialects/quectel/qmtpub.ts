// AT+QMTPUBEX (and AT+QMTPUB with a length): fixed-length binary publish
// [Quectel BG95&BG96 MQTT AN §3.2.8]. `>` prompt, exactly <len> raw bytes (no Ctrl-Z), OK,
// then +QMTPUB: <idx>,<msgid>,<result> (0 sent, 2 failed). At most 4096 bytes.
import { topicFromAt } from '../../bytes.js';
import { AtFail, CME } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { QmtState } from './state.js';

export const QMT_MAX_PAYLOAD = 4096;

export const qmtpubex = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') return [`+QMTPUBEX: (0-5),<msgid>,(0-2),(0,1),"<topic>",(1-${QMT_MAX_PAYLOAD})`];
  onlyKinds(c, 'set');
  maxArgs(c, 6);
  const idx = numArg(c, 0, 0, 5);
  const msgId = numArg(c, 1, 0, 65535);
  const qos = intArg(c, 2, [0, 1, 2] as const);
  const retain = intArg(c, 3, [0, 1] as const) === 1;
  const topic = topicFromAt(needStr(c, 4, 1024));
  const len = numArg(c, 5, 1, QMT_MAX_PAYLOAD);
  if ((qos === 0) !== (msgId === 0)) throw new AtFail(CME.INCORRECT_PARAMETERS); // msgid 0 only for QoS 0
  if (!st.client(idx).link) throw new AtFail();
  return {
    prompt: len,
    onData: (data) => {
      const link = st.client(idx).link;
      if (!link) throw new AtFail();
      link.publish(topic, data, qos, retain).then(
        () => st.ctx.urc(`+QMTPUB: ${idx},${msgId},0`),
        () => st.ctx.urc(`+QMTPUB: ${idx},${msgId},2`),
      );
      return [];
    },
  };
};
