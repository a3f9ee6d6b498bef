// Service and client lifecycle: AT+CMQTTSTART / AT+CMQTTSTOP (the MQTT service),
// AT+CMQTTACCQ / AT+CMQTTREL (acquire and release a client slot)
// [SIM7500_SIM7600 Series MQTT(S) AT Command Manual §3.2.1-3.2.4].
import { topicFromAt } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { CmqttState } from './state.js';

export const cmqttstart = (st: CmqttState): Handler => (m, c) => {
  onlyKinds(c, 'exec');
  // +CMQTTSTART: 23 = "network is already opened"; 3 (network failure) without registration.
  if (st.started) throw new AtFail();
  if (!m.registered) {
    st.ctx.urc('+CMQTTSTART: 3');
    return [];
  }
  st.started = true;
  st.ctx.urc('+CMQTTSTART: 0');
  return [];
};

export const cmqttstop = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'exec');
  if (!st.started || st.clients.some((cl) => cl.link || cl.clientId !== undefined)) throw new AtFail();
  st.started = false;
  st.ctx.urc('+CMQTTSTOP: 0');
  return [];
};

export const cmqttaccq = (st: CmqttState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+CMQTTACCQ: (0-1),(1-128),(0-1)'];
  if (c.kind === 'read') return st.clients.map((cl, i) => `+CMQTTACCQ: ${i},"${cl.clientId ?? ''}",0`);
  onlyKinds(c, 'set');
  maxArgs(c, 3);
  const idx = numArg(c, 0, 0, 1);
  const id = needStr(c, 1, 128);
  numArg(c, 2, 0, 0, 0); // server_type 0: MQTT over TCP (1 = SSL/TLS, not emulated)
  const cl = st.client(idx);
  if (!st.started || cl.clientId !== undefined) throw new AtFail();
  cl.clientId = topicFromAt(id);
  return [];
};

export const cmqttrel = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 1);
  const cl = st.client(numArg(c, 0, 0, 1));
  if (cl.clientId === undefined || cl.link) throw new AtFail();
  cl.clientId = undefined;
  return [];
};
