// AT+CMQTTCONNECT / AT+CMQTTDISC: connect a client to "tcp://<host>:<port>" and disconnect it
// [SIM7500_SIM7600 Series MQTT(S) AT Command Manual §3.2.7-3.2.8]. Results follow the OK as
// +CMQTTCONNECT: <idx>,<err> (0 ok, 3 socket connect failure) and +CMQTTDISC: <idx>,0.
import { AtFail, CME } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, strArg, type Handler } from '../../handlers/types.js';
import type { CmqttState } from './state.js';

const SOCK_CONNECT_FAIL = 3;

export const cmqttconnect = (st: CmqttState): Handler => (_m, c) => {
  if (c.kind === 'read') {
    return st.clients.flatMap((cl, i) => (cl.link ? [`+CMQTTCONNECT: ${i},"connected"`] : []));
  }
  onlyKinds(c, 'set');
  maxArgs(c, 6);
  const idx = numArg(c, 0, 0, 1);
  const m = /^tcp:\/\/([^:/]+|\[[^\]]+\]):([0-9]{1,5})$/i.exec(needStr(c, 1, 256));
  if (!m) throw new AtFail(CME.INCORRECT_PARAMETERS);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  const keepalive = numArg(c, 2, 1, 64800);
  const clean = intArg(c, 3, [0, 1] as const) === 1;
  const username = strArg(c, 4);
  const password = strArg(c, 5);
  const cl = st.client(idx);
  if (cl.clientId === undefined || cl.link || cl.connecting || port < 1 || port > 65535) throw new AtFail();
  cl.connecting = true;
  st.ctx.openLink(host, port, {
    clientId: cl.clientId, keepalive, clean,
    ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}),
  }, {
    message: (topic, payload) => st.received(idx, topic, payload),
    lost: () => st.lost(idx),
  }).then((link) => {
    cl.connecting = false;
    cl.link = link;
    st.ctx.urc(`+CMQTTCONNECT: ${idx},0`);
  }, () => {
    cl.connecting = false;
    st.ctx.urc(`+CMQTTCONNECT: ${idx},${SOCK_CONNECT_FAIL}`);
  });
  return [];
};

export const cmqttdisc = (st: CmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'set');
  maxArgs(c, 2);
  const idx = numArg(c, 0, 0, 1);
  numArg(c, 1, 0, 180, 0); // <timeout> s
  const cl = st.client(idx);
  const link = cl.link;
  if (!link) throw new AtFail();
  cl.link = undefined;
  void link.close().then(() => st.ctx.urc(`+CMQTTDISC: ${idx},0`));
  return [];
};
