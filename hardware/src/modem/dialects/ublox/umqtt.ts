// AT+UMQTT: the MQTT profile [SARA-R5 AT Manual §24.1; SARA-R4 §23.1]. <op_code> 0 client id,
// 1 local port (accepted, no effect), 2 server name [+port], 3 server IP [+port], 4 username and
// password, 10 keep-alive, 12 clean session. Each set answers +UMQTT: <op_code>,1 before OK.
import { topicFromAt } from '../../bytes.js';
import { AtFail, CME } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { UmqttState } from './state.js';

export const umqtt = (st: UmqttState): Handler => (_m, c) => {
  if (c.kind === 'read') {
    return [`+UMQTT: 0,"${st.clientId}"`, `+UMQTT: 2,"${st.host ?? ''}",${st.port}`, `+UMQTT: 10,${st.keepalive}`, `+UMQTT: 12,${st.clean ? 1 : 0}`];
  }
  onlyKinds(c, 'set');
  if (st.link) throw new AtFail(); // the profile is frozen while logged in
  const op = numArg(c, 0, 0, 15);
  switch (op) {
    case 0: maxArgs(c, 2); st.clientId = topicFromAt(needStr(c, 1, 256)); break;
    case 1: maxArgs(c, 2); numArg(c, 1, 1, 65535); break;
    case 2: case 3:
      maxArgs(c, 3);
      st.host = needStr(c, 1, 128);
      if (c.args.length === 3) st.port = numArg(c, 2, 1, 65535);
      break;
    case 4: maxArgs(c, 3); st.username = needStr(c, 1, 128); st.password = needStr(c, 2, 128); break;
    case 10: maxArgs(c, 2); st.keepalive = numArg(c, 1, 0, 65535); break;
    case 12: maxArgs(c, 2); st.clean = intArg(c, 1, [0, 1] as const) === 1; break;
    default: throw new AtFail(CME.NOT_SUPPORTED);
  }
  return [`+UMQTT: ${op},1`];
};

/** AT+UMQTTER: the last MQTT error as <error_code1>,<error_code2> [SARA-R5 AT Manual §24.4]. */
export const umqtter = (st: UmqttState): Handler => (_m, c) => {
  onlyKinds(c, 'exec');
  return [`+UMQTTER: ${st.lastError[0]},${st.lastError[1]}`];
};
