// Subscribing: AT+CMQTTSUB=<idx>,<len>,<qos> takes the topic as <len> raw bytes after `>`
// (AT+CMQTTSUBTOPIC=<idx>,<len>,<qos> + bare AT+CMQTTSUB=<idx> is the two-step form);
// AT+CMQTTUNSUB=<idx>,<len>,<dup> likewise. Results follow the OK: +CMQTTSUB: <idx>,0
// [SIM7500_SIM7600 Series MQTT(S) AT Command Manual §3.2.12-3.2.15].
import { topicFromBytes } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { intArg, maxArgs, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { CmqttState } from './state.js';

/** +CMQTTSUB <err> 12: subscribe failed. */
const SUB_FAILED = 12;

function subscribe(st: CmqttState, idx: number, topic: Uint8Array, qos: 0 | 1 | 2): void {
  const link = st.client(idx).link;
  if (!link) {
    st.ctx.urc(`+CMQTTSUB: ${idx},${SUB_FAILED}`);
    return;
  }
  link.subscribe(topicFromBytes(topic), qos).then(
    () => st.ctx.urc(`+CMQTTSUB: ${idx},0`),
    () => st.ctx.urc(`+CMQTTSUB: ${idx},${SUB_FAILED}`),
  );
}

const subQos = new WeakMap<Uint8Array, 0 | 1 | 2>();

export const cmqttsubtopic = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 3);
  const idx = numArg(c, 0, 0, 1);
  const len = numArg(c, 1, 1, 1024);
  const qos = intArg(c, 2, [0, 1, 2] as const);
  if (st.client(idx).clientId === undefined) throw new AtFail();
  return { prompt: len, onData: (d) => { st.client(idx).subTopic = d; subQos.set(d, qos); return []; } };
};

export const cmqttsub = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 4);
  const idx = numArg(c, 0, 0, 1);
  if (st.client(idx).clientId === undefined) throw new AtFail();
  if (c.args.length === 1) {
    const t = st.client(idx).subTopic;
    if (!t) throw new AtFail();
    st.client(idx).subTopic = undefined;
    subscribe(st, idx, t, subQos.get(t) ?? 0);
    return [];
  }
  const len = numArg(c, 1, 1, 1024);
  const qos = intArg(c, 2, [0, 1, 2] as const);
  intArg(c, 3, [0, 1] as const, 0); // <dup>
  return { prompt: len, onData: (d) => { subscribe(st, idx, d, qos); return []; } };
};

export const cmqttunsub = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 3);
  const idx = numArg(c, 0, 0, 1);
  const len = numArg(c, 1, 1, 1024);
  intArg(c, 2, [0, 1] as const, 0);
  if (st.client(idx).clientId === undefined) throw new AtFail();
  return {
    prompt: len,
    onData: (d) => {
      const link = st.client(idx).link;
      if (!link) throw new AtFail();
      link.unsubscribe(topicFromBytes(d)).then(
        () => st.ctx.urc(`+CMQTTUNSUB: ${idx},0`),
        () => st.ctx.urc(`+CMQTTUNSUB: ${idx},${SUB_FAILED}`),
      );
      return [];
    },
  };
};
