// AT+QMTOPEN / AT+QMTCLOSE: open and close the network side of an MQTT client
// [Quectel BG95&BG96 MQTT AN §3.2.2-3.2.3]. The result comes as a URC after the OK:
// +QMTOPEN: <idx>,<result> (0 ok, -1 failed, 2 identifier in use, 3 PDP activation failed).
import { AtFail } from '../../result.js';
import { maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { QmtState } from './state.js';

export const qmtopen = (st: QmtState): Handler => (m, c) => {
  if (c.kind === 'test') return ['+QMTOPEN: (0-5),"<host_name>",(0-65535)'];
  if (c.kind === 'read') {
    return st.clients.flatMap((cl, i) => (cl.host === undefined ? [] : [`+QMTOPEN: ${i},"${cl.host}",${cl.port}`]));
  }
  onlyKinds(c, 'set');
  maxArgs(c, 3);
  const idx = numArg(c, 0, 0, 5);
  const host = needStr(c, 1, 100);
  const port = numArg(c, 2, 1, 65535);
  const cl = st.client(idx);
  if (cl.host !== undefined || cl.opening) {
    st.ctx.urc(`+QMTOPEN: ${idx},2`);
    return [];
  }
  if (!m.registered) {
    st.ctx.urc(`+QMTOPEN: ${idx},3`);
    return [];
  }
  cl.opening = true;
  void st.ctx.probe(host, port).then((ok) => {
    cl.opening = false;
    if (ok) { cl.host = host; cl.port = port; }
    st.ctx.urc(`+QMTOPEN: ${idx},${ok ? 0 : -1}`);
  });
  return [];
};

export const qmtclose = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') return ['+QMTCLOSE: (0-5)'];
  onlyKinds(c, 'set');
  maxArgs(c, 1);
  const idx = numArg(c, 0, 0, 5);
  const cl = st.client(idx);
  if (cl.host === undefined) throw new AtFail();
  const link = cl.link;
  cl.link = undefined;
  cl.host = undefined;
  void (link ? link.close() : Promise.resolve()).then(() => st.ctx.urc(`+QMTCLOSE: ${idx},0`));
  return [];
};
