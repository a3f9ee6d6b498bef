// AT+QMTCFG: per-client MQTT settings, not persisted [Quectel BG95&BG96 MQTT AN §3.2.1].
// Buffered receive mode ("recv/mode",<idx>,1) is not emulated: +CME ERROR: 4. "dataformat"
// (newer BG95/BG96 firmware): <recv_mode> 1 gives +QMTRECV payloads as hex, which the SDK's
// Espruino bundle needs; hex publishing (<send_mode> 1) is not emulated: +CME ERROR: 4.
import { AtFail, CME } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { QmtState } from './state.js';

export const qmtcfg = (st: QmtState): Handler => (_m, c) => {
  if (c.kind === 'test') {
    return ['+QMTCFG: "version",(0-5),(3,4)', '+QMTCFG: "keepalive",(0-5),(0-3600)', '+QMTCFG: "session",(0-5),(0,1)',
      '+QMTCFG: "timeout",(0-5),(1-60),(0-10),(0,1)', '+QMTCFG: "recv/mode",(0-5),(0),(0,1)', '+QMTCFG: "dataformat",(0-5),(0),(0,1)'];
  }
  onlyKinds(c, 'set');
  const what = needStr(c, 0, 32).toLowerCase();
  const idx = numArg(c, 1, 0, 5);
  const cl = st.client(idx);
  const query = c.args.length === 2;
  switch (what) {
    case 'version':
      if (query) return [`+QMTCFG: "version",${cl.version}`];
      maxArgs(c, 3);
      cl.version = intArg(c, 2, [3, 4] as const);
      return [];
    case 'keepalive':
      if (query) return [`+QMTCFG: "keepalive",${cl.keepalive}`];
      maxArgs(c, 3);
      cl.keepalive = numArg(c, 2, 0, 3600);
      return [];
    case 'session':
      if (query) return [`+QMTCFG: "session",${cl.clean ? 1 : 0}`];
      maxArgs(c, 3);
      cl.clean = intArg(c, 2, [0, 1] as const) === 1;
      return [];
    case 'timeout':
      if (query) return [`+QMTCFG: "timeout",${cl.timeoutS},3,0`];
      maxArgs(c, 5);
      cl.timeoutS = numArg(c, 2, 1, 60);
      numArg(c, 3, 0, 10, 3);
      intArg(c, 4, [0, 1] as const, 0);
      return [];
    case 'recv/mode':
      if (query) return [`+QMTCFG: "recv/mode",0,${cl.recvLen ? 1 : 0}`];
      maxArgs(c, 4);
      if (intArg(c, 2, [0, 1] as const) === 1) throw new AtFail(CME.NOT_SUPPORTED);
      cl.recvLen = intArg(c, 3, [0, 1] as const, cl.recvLen ? 1 : 0) === 1;
      return [];
    case 'dataformat':
      if (query) return [`+QMTCFG: "dataformat",0,${cl.recvHex ? 1 : 0}`];
      maxArgs(c, 4);
      if (intArg(c, 2, [0, 1] as const) === 1) throw new AtFail(CME.NOT_SUPPORTED);
      cl.recvHex = intArg(c, 3, [0, 1] as const) === 1;
      return [];
    default:
      throw new AtFail(CME.INCORRECT_PARAMETERS);
  }
};
