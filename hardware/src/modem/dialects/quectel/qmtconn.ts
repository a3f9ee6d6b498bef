// AT+QMTCONN / AT+QMTDISC: MQTT CONNECT and DISCONNECT on an opened client
// [Quectel BG95&BG96 MQTT AN §3.2.4-3.2.5]. +QMTCONN: <idx>,<result>[,<ret_code>] follows the
// OK (result 0 sent, 2 failed; ret_code = CONNACK code); the read form reports <state>
// 1 initializing, 2 connecting, 3 connected.
import { topicFromAt } from '../../bytes.js';
import { AtFail } from '../../result.js';
import { maxArgs, needStr, numArg, onlyKinds, strArg, type Handler } from '../../handlers/types.js';
import type { QmtState } from './state.js';

export const qmtconn = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+QMTCONN: (0-5),"<clientid>","<username>","<password>"'];
  if (c.kind === 'read') {
    return st.clients.flatMap((cl, i) => {
      if (cl.host === undefined) return [];
      return [`+QMTCONN: ${i},${cl.link ? 3 : cl.connecting ? 2 : 1}`];
    });
  }
  onlyKinds(c, 'set');
  maxArgs(c, 4);
  const idx = numArg(c, 0, 0, 5);
  const clientId = needStr(c, 1, 256);
  const username = strArg(c, 2);
  const password = strArg(c, 3);
  const cl = st.client(idx);
  if (cl.host === undefined || cl.link || cl.connecting) throw new AtFail();
  cl.connecting = true;
  st.ctx.openLink(cl.host, cl.port, {
    clientId: topicFromAt(clientId), keepalive: cl.keepalive, clean: cl.clean, connectTimeoutMs: cl.timeoutS * 1000,
    ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}),
  }, {
    message: (topic, payload, _qos, msgId) => st.received(idx, topic, payload, msgId),
    lost: () => st.lost(idx),
  }).then((link) => {
    cl.connecting = false;
    cl.link = link;
    st.ctx.urc(`+QMTCONN: ${idx},0,0`);
  }, () => {
    cl.connecting = false;
    st.ctx.urc(`+QMTCONN: ${idx},2`);
  });
  return [];
};

export const qmtdisc = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+QMTDISC: (0-5)'];
  onlyKinds(c, 'set');
  maxArgs(c, 1);
  const idx = numArg(c, 0, 0, 5);
  const cl = st.client(idx);
  const link = cl.link;
  if (!link) throw new AtFail();
  cl.link = undefined;
  cl.host = undefined; // [QMT AN §3.2.5] DISC also closes the network side
  void link.close().then(() => st.ctx.urc(`+QMTDISC: ${idx},0`));
  return [];
};
