// PDP contexts: AT+CGDCONT define [TS27.007 §10.1.1] (stored, the simulator's core does not
// check the APN) and AT+CGPADDR show the address [TS27.007 §10.1.14] (the session's address
// while registered, for any defined context).
import { AtFail, CME } from '../result.js';
import { maxArgs, rangeArg, strArg, type Handler } from './types.js';

const PDP_TYPES = ['IP', 'IPV6', 'IPV4V6', 'NON-IP'];

export const cgdcont: Handler = (m, c) => {
  switch (c.kind) {
    case 'read':
      return [...m.pdp.entries()].sort(([a], [b]) => a - b).map(([cid, p]) => `+CGDCONT: ${cid},"${p.type}","${p.apn}","",0,0`);
    case 'test': return ['+CGDCONT: (1-15),"IP",,,(0),(0)', '+CGDCONT: (1-15),"IPV4V6",,,(0),(0)'];
    case 'set': {
      maxArgs(c, 6); // <cid>,<PDP_type>,<APN>,<PDP_addr>,<d_comp>,<h_comp>; the last three ignored
      const cid = rangeArg(c, 0, 1, 15);
      const type = strArg(c, 1);
      if (type === undefined) {
        if (c.args.length > 1) throw new AtFail(CME.INCORRECT_PARAMETERS);
        m.pdp.delete(cid); // "+CGDCONT=<cid>" undefines the context
        return [];
      }
      if (!PDP_TYPES.includes(type.toUpperCase())) throw new AtFail(CME.INCORRECT_PARAMETERS);
      const apn = strArg(c, 2) ?? '';
      if (apn.length > 100 || !/^[A-Za-z0-9.-]*$/.test(apn)) throw new AtFail(CME.INCORRECT_PARAMETERS); // [TS23.003 §9.1]
      m.pdp.set(cid, { type: type.toUpperCase(), apn });
      return [];
    }
    default: throw new AtFail();
  }
};

export const cgpaddr: Handler = (m, c) => {
  if (c.kind === 'test') return [`+CGPADDR: (${[...m.pdp.keys()].sort((a, b) => a - b).join(',')})`];
  if (c.kind !== 'set' && c.kind !== 'exec') throw new AtFail();
  const cids = c.kind === 'exec' ? [...m.pdp.keys()].sort((a, b) => a - b) : c.args.map((_, i) => rangeArg(c, i, 1, 15));
  return cids.map((cid) => (m.ip !== undefined && m.pdp.has(cid) ? `+CGPADDR: ${cid},"${m.ip}"` : `+CGPADDR: ${cid}`));
};
