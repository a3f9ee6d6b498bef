// AT+CEREG: EPS network registration status [TS27.007 §10.1.22]. <n> 0 no URC, 1 URC
// "+CEREG: <stat>", 2 URC with "<tac>","<ci>",<AcT>; the read form puts <n> first.
import { AtFail } from '../result.js';
import { intArg, maxArgs, type Handler } from './types.js';

export const cereg: Handler = (m, c) => {
  switch (c.kind) {
    case 'read': return [m.ceregLine(true)];
    case 'test': return ['+CEREG: (0-2)'];
    case 'set':
      maxArgs(c, 1);
      m.cereg = intArg(c, 0, [0, 1, 2] as const, 0);
      return [];
    default: throw new AtFail();
  }
};
