// AT+CGATT: PS attach / detach [TS27.007 §10.1.9]. In LTE the packet attach is the EPS
// registration, so attach registers now (when the radio is on and the SIM unlocked) and detach
// leaves the network (the network simulator emits the detach event).
import { AtFail, CME } from '../result.js';
import { intArg, maxArgs, type Handler } from './types.js';

export const cgatt: Handler = (m, c) => {
  switch (c.kind) {
    case 'read': return [`+CGATT: ${m.registered ? 1 : 0}`];
    case 'test': return ['+CGATT: (0,1)'];
    case 'set': {
      maxArgs(c, 1);
      if (intArg(c, 0, [0, 1] as const) === 0) {
        m.deregister();
        return [];
      }
      if (m.registered) return [];
      if (m.fun !== 1) throw new AtFail(CME.NO_NETWORK_SERVICE);
      m.sim.requireReady();
      m.copsMode = 0; // an explicit attach request overrides an earlier AT+COPS=2
      if (!m.register()) throw new AtFail(CME.NO_NETWORK_SERVICE);
      return [];
    }
    default: throw new AtFail();
  }
};
