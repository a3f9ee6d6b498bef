// AT+CPIN: SIM PIN state and unlocking [TS27.007 §8.3]. Unlocking with the radio on lets the
// modem register after the OK.
import { AtFail, CME } from '../result.js';
import { maxArgs, strArg, type Handler } from './types.js';

export const cpin: Handler = (m, c) => {
  switch (c.kind) {
    case 'read': return [`+CPIN: ${m.sim.state}`];
    case 'test': return [];
    case 'set': {
      maxArgs(c, 2);
      const code = strArg(c, 0);
      if (code === undefined) throw new AtFail(CME.INCORRECT_PARAMETERS);
      m.sim.enter(code, strArg(c, 1));
      if (m.fun === 1) m.scheduleRegister();
      return [];
    }
    default: throw new AtFail();
  }
};
