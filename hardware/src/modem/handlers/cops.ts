// AT+COPS: PLMN selection [TS27.007 §7.3]. Only automatic selection (0), deregistration (2) and
// the format setting (3) are supported; the operator is always given as its numeric PLMN since
// the simulator has no operator names, whatever the <format>.
import { ACT_EUTRAN } from '../core.js';
import { AtFail, CME } from '../result.js';
import { intArg, maxArgs, type Handler } from './types.js';

export const cops: Handler = (m, c) => {
  switch (c.kind) {
    case 'read':
      if (!m.registered) return [`+COPS: ${m.copsMode}`];
      return [`+COPS: ${m.copsMode},${m.copsFormat},"${m.cell.plmn}",${ACT_EUTRAN}`];
    case 'test': {
      // One entry per PLMN on air: <stat> 2 current, 1 available.
      const current = m.registered ? m.cell.plmn : undefined;
      const plmns = [...new Set(m.network.allCells().map((x) => x.plmn))];
      const list = plmns.map((p) => `(${p === current ? 2 : 1},"${p}","${p}","${p}",${ACT_EUTRAN})`);
      return [`+COPS: ${list.join(',')},,(0-3),(0-2)`];
    }
    case 'set': {
      maxArgs(c, 4);
      const mode = intArg(c, 0, [0, 1, 2, 3, 4] as const);
      if (mode === 1 || mode === 4) throw new AtFail(CME.NOT_SUPPORTED); // manual selection
      if (mode === 3) {
        m.copsFormat = intArg(c, 1, [0, 1, 2] as const);
        return [];
      }
      if (c.args.length > 1) m.copsFormat = intArg(c, 1, [0, 1, 2] as const, m.copsFormat);
      if (mode === 2) {
        m.copsMode = 2;
        m.deregister();
      } else {
        m.copsMode = 0;
        if (m.fun === 1) m.scheduleRegister();
      }
      return [];
    }
    default: throw new AtFail();
  }
};
