// AT+SMCONF: MQTT parameters [SIM7080 Series AT Command Manual §13.2.1]. "URL" takes the host and
// port, "CLIENTID", "KEEPTIME", "CLEANSS", "SUBHEX" (received payloads as hex), "USERNAME",
// "PASSWORD"; the remaining names ("QOS", "TOPIC", "MESSAGE", "RETAIN", "ASYNCMODE") are accepted
// and have no effect here. The read form lists the settings.
import { topicFromAt } from '../../bytes.js';
import { AtFail, CME } from '../../result.js';
import { intArg, maxArgs, needStr, numArg, onlyKinds, type Handler } from '../../handlers/types.js';
import type { SmState } from './state.js';

const IGNORED = ['QOS', 'TOPIC', 'MESSAGE', 'RETAIN', 'ASYNCMODE'];

export const smconf = (st: SmState): Handler => (_m, c) => {
  const f = st.conf;
  if (c.kind === 'read') {
    return ['+SMCONF:', `CLIENTID: "${f.clientId}"`, `URL: "${f.host ?? ''}",${f.port}`, `KEEPTIME: ${f.keepTime}`,
      `CLEANSS: ${f.cleanSession ? 1 : 0}`, `SUBHEX: ${f.subHex ? 1 : 0}`];
  }
  if (c.kind === 'test') return ['+SMCONF: "CLIENTID","URL","KEEPTIME","CLEANSS","SUBHEX","USERNAME","PASSWORD"'];
  onlyKinds(c, 'set');
  if (st.link) throw new AtFail(); // settings are frozen while connected
  const name = needStr(c, 0, 16).toUpperCase();
  switch (name) {
    case 'URL': {
      maxArgs(c, 3);
      const host = needStr(c, 1, 256);
      // "host:port" in one string, or the port as its own parameter
      const m = /^(.*):([0-9]{1,5})$/.exec(host);
      f.host = c.args.length === 2 && m ? (m[1] as string) : host;
      f.port = c.args.length === 3 ? numArg(c, 2, 1, 65535) : m ? Number(m[2]) : 1883;
      return [];
    }
    case 'CLIENTID': maxArgs(c, 2); f.clientId = topicFromAt(needStr(c, 1, 128)); return [];
    case 'USERNAME': maxArgs(c, 2); f.username = needStr(c, 1, 128); return [];
    case 'PASSWORD': maxArgs(c, 2); f.password = needStr(c, 1, 128); return [];
    case 'KEEPTIME': maxArgs(c, 2); f.keepTime = numArg(c, 1, 60, 180); return [];
    case 'CLEANSS': maxArgs(c, 2); f.cleanSession = intArg(c, 1, [0, 1] as const) === 1; return [];
    case 'SUBHEX': maxArgs(c, 2); f.subHex = intArg(c, 1, [0, 1] as const) === 1; return [];
    default:
      if (IGNORED.includes(name)) return [];
      throw new AtFail(CME.INCORRECT_PARAMETERS);
  }
};
