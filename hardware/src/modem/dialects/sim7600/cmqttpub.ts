// Publishing: AT+CMQTTTOPIC=<idx>,<len> and AT+CMQTTPAYLOAD=<idx>,<len> each take exactly <len>
// raw bytes after the `>` prompt; AT+CMQTTPUB=<idx>,<qos>,<timeout>[,<retain>] sends them and
// reports +CMQTTPUB: <idx>,0 after the OK [SIM7500_SIM7600 Series MQTT(S) AT Manual §3.2.9-3.2.11].
import { topicFromBytes } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { intArg, maxArgs, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import { CMQTT_MAX_PAYLOAD, type CmqttState } from './state.js';

/** +CMQTTPUB <err> 11: publish failed (no connection). */
const PUB_FAILED = 11;

export const cmqtttopic = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 2);
  const idx = numArg(c, 0, 0, 1);
  const len = numArg(c, 1, 1, 1024);
  if (st.client(idx).clientId === undefined) throw new AtFail();
  return { prompt: len, onData: (d) => { st.client(idx).topic = d; return []; } };
};

export const cmqttpayload = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 2);
  const idx = numArg(c, 0, 0, 1);
  const len = numArg(c, 1, 1, CMQTT_MAX_PAYLOAD);
  if (st.client(idx).clientId === undefined) throw new AtFail();
  return { prompt: len, onData: (d) => { st.client(idx).payload = d; return []; } };
};

export const cmqttpub = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 4);
  const idx = numArg(c, 0, 0, 1);
  const qos = intArg(c, 1, [0, 1, 2] as const);
  numArg(c, 2, 1, 180); // <pub_timeout> s
  const retain = intArg(c, 3, [0, 1] as const, 0) === 1;
  const cl = st.client(idx);
  if (!cl.topic) throw new AtFail();
  const topic = topicFromBytes(cl.topic);
  const payload = cl.payload ?? new Uint8Array(0);
  // [§3.2.11] the topic and payload buffers are emptied once the message is handed over
  cl.topic = undefined;
  cl.payload = undefined;
  const link = cl.link;
  if (!link) {
    st.ctx.urc(`+CMQTTPUB: ${idx},${PUB_FAILED}`);
    return [];
  }
  link.publish(topic, payload, qos, retain).then(
    () => st.ctx.urc(`+CMQTTPUB: ${idx},0`),
    () => st.ctx.urc(`+CMQTTPUB: ${idx},${PUB_FAILED}`),
  );
  return [];
};
