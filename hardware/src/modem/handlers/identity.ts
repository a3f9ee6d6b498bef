// Identity commands: AT+CIMI (IMSI, needs the unlocked SIM) [TS27.007 §5.6], AT+CCID (ICCID,
// readable while locked as EF_ICCID is always readable [TS102.221 §13.2]), AT+CGSN (IMEI)
// [TS27.007 §5.4], AT+CGMI/+CGMM/+CGMR (manufacturer, model, revision) [TS27.007 §5.1-5.3].
import { AtFail } from '../result.js';
import { intArg, type Handler } from './types.js';

const execOnly = (fn: Handler): Handler => (m, c) => {
  if (c.kind === 'test') return [];
  if (c.kind !== 'exec') throw new AtFail();
  return fn(m, c);
};

export const cimi: Handler = execOnly((m) => {
  m.sim.requireReady();
  return [m.sim.imsi];
});

export const ccid: Handler = (m, c) => {
  if (c.kind !== 'exec' && c.kind !== 'read') throw new AtFail();
  return [`+CCID: ${m.sim.iccid}`];
};

/**
 * A vendor's own ICCID command (Quectel AT+QCCID, SIMCom AT+CICCID) answering `<prefix>: <iccid>`:
 * exec only, and readable while PIN-locked like AT+CCID.
 */
export const vendorIccid = (prefix: string): Handler => execOnly((m) => [`${prefix}: ${m.sim.iccid}`]);

export const cgsn: Handler = (m, c) => {
  if (c.kind === 'exec') return [m.imei];
  if (c.kind === 'test') return ['+CGSN: (0-1)'];
  if (c.kind !== 'set') throw new AtFail();
  // <snt> 0: serial number (the IMEI here), 1: +CGSN: "<imei>"
  return intArg(c, 0, [0, 1] as const, 0) === 1 ? [`+CGSN: "${m.imei}"`] : [m.imei];
};

export const cgmi: Handler = execOnly(() => ['simedge']);
export const cgmm: Handler = execOnly(() => ['EMU-27007']);
export const cgmr: Handler = execOnly(() => ['0.1.0']);
