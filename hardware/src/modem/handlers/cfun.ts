// AT+CFUN: set phone functionality [TS27.007 §8.2]. 1 turns the radio on (registration follows
// the OK), 0 and 4 turn it off (the modem detaches at once).
import { AtFail } from '../result.js';
import { intArg, maxArgs, type Handler } from './types.js';

export const cfun: Handler = (m, c) => {
  switch (c.kind) {
    case 'read': return [`+CFUN: ${m.fun}`];
    case 'test': return ['+CFUN: (0,1,4),(0-1)'];
    case 'set': {
      maxArgs(c, 2);
      const fun = intArg(c, 0, [0, 1, 4] as const);
      // <rst>=1 resets the MT first: a registered modem leaves the network before the new level.
      if (intArg(c, 1, [0, 1] as const, 0) === 1) m.deregister();
      m.setFun(fun);
      return [];
    }
    default: throw new AtFail();
  }
};
