// The SIMCom SIM7080/SIM7070 dialect: the SM MQTT command set (the ICCID comes from the generic
// AT+CCID, as on the module) [SIM7080 Series AT Command Manual V1.0x §13].
import type { Handler } from '../../handlers/types.js';
import type { Dialect, DialectContext } from '../types.js';
import { smconf } from './smconf.js';
import { smconn, smdisc, smstate } from './smconn.js';
import { smpub } from './smpub.js';
import { smsub, smunsub } from './smsub.js';
import { SmState } from './state.js';

function handlers(ctx: DialectContext): Record<string, Handler> {
  const st = new SmState(ctx);
  return {
    '+SMCONF': smconf(st),
    '+SMCONN': smconn(st),
    '+SMDISC': smdisc(st),
    '+SMSTATE': smstate(st),
    '+SMPUB': smpub(st),
    '+SMSUB': smsub(st),
    '+SMUNSUB': smunsub(st),
  };
}

export const sim7080: Dialect = {
  name: 'sim7080',
  identity: { manufacturer: 'SIMCOM INCORPORATED', model: 'SIM7080', revision: '1951B04SIM7080' },
  handlers,
};
