// The SIMCom SIM7600 dialect: AT+CICCID (answering +ICCID:) and the CMQTT command set
// [SIM7500_SIM7600 Series AT Command Manual V1.x §4 (CICCID); MQTT(S) AT Command Manual §3].
import { vendorIccid } from '../../handlers/identity.js';
import type { Handler } from '../../handlers/types.js';
import type { Dialect, DialectContext } from '../types.js';
import { cmqttconnect, cmqttdisc } from './cmqttconnect.js';
import { cmqttpayload, cmqttpub, cmqtttopic } from './cmqttpub.js';
import { cmqttaccq, cmqttrel, cmqttstart, cmqttstop } from './cmqttstart.js';
import { cmqttsub, cmqttsubtopic, cmqttunsub } from './cmqttsub.js';
import { CmqttState } from './state.js';

/** AT+CICCID → +ICCID: <iccid> (the SIMCom answer drops the C). */
const ciccid = vendorIccid('+ICCID');

function handlers(ctx: DialectContext): Record<string, Handler> {
  const st = new CmqttState(ctx);
  return {
    '+CICCID': ciccid,
    '+CMQTTSTART': cmqttstart(st),
    '+CMQTTSTOP': cmqttstop(st),
    '+CMQTTACCQ': cmqttaccq(st),
    '+CMQTTREL': cmqttrel(st),
    '+CMQTTCONNECT': cmqttconnect(st),
    '+CMQTTDISC': cmqttdisc(st),
    '+CMQTTTOPIC': cmqtttopic(st),
    '+CMQTTPAYLOAD': cmqttpayload(st),
    '+CMQTTPUB': cmqttpub(st),
    '+CMQTTSUBTOPIC': cmqttsubtopic(st),
    '+CMQTTSUB': cmqttsub(st),
    '+CMQTTUNSUB': cmqttunsub(st),
  };
}

export const sim7600: Dialect = {
  name: 'sim7600',
  identity: { manufacturer: 'SIMCOM INCORPORATED', model: 'SIMCOM_SIM7600E-H', revision: 'LE20B04SIM7600M22' },
  handlers,
};
