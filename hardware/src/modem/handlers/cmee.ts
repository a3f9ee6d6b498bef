// AT+CMEE: report mobile termination errors [TS27.007 §9.1]: 0 plain ERROR, 1 numeric
// +CME ERROR: <n>, 2 verbose +CME ERROR: <text>.
import { AtFail } from '../result.js';
import { intArg, maxArgs, type Handler } from './types.js';

export const cmee: Handler = (m, c) => {
  switch (c.kind) {
    case 'read': return [`+CMEE: ${m.cmee}`];
    case 'test': return ['+CMEE: (0-2)'];
    case 'set':
      maxArgs(c, 1);
      m.cmee = intArg(c, 0, [0, 1, 2] as const, 0);
      return [];
    default: throw new AtFail();
  }
};
