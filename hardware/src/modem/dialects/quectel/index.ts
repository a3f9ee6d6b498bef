// The Quectel BG95/BG96 dialect: AT+QCCID and the QMT command set
// [Quectel BG95&BG96 AT Commands Manual §5 (QCCID); BG95&BG96 MQTT Application Note §3].
import { vendorIccid } from '../../handlers/identity.js';
import type { Handler } from '../../handlers/types.js';
import type { Dialect, DialectContext, DialectName } from '../types.js';
import { qmtcfg } from './qmtcfg.js';
import { qmtconn, qmtdisc } from './qmtconn.js';
import { qmtclose, qmtopen } from './qmtopen.js';
import { qmtpubex } from './qmtpub.js';
import { qmtsub, qmtuns } from './qmtsub.js';
import { QmtState } from './state.js';

/** AT+QCCID → +QCCID: <iccid> (readable while PIN-locked, like EF_ICCID). */
const qccid = vendorIccid('+QCCID');

function handlers(ctx: DialectContext): Record<string, Handler> {
  const st = new QmtState(ctx);
  return {
    '+QCCID': qccid,
    '+QMTCFG': qmtcfg(st),
    '+QMTOPEN': qmtopen(st),
    '+QMTCLOSE': qmtclose(st),
    '+QMTCONN': qmtconn(st),
    '+QMTDISC': qmtdisc(st),
    '+QMTSUB': qmtsub(st),
    '+QMTUNS': qmtuns(st),
    '+QMTPUBEX': qmtpubex(st),
    '+QMTPUB': qmtpubex(st), // newer firmware: AT+QMTPUB=...,<msglen> is the same fixed-length form
  };
}

export const quectel = (name: Extract<DialectName, 'bg95' | 'bg96'>): Dialect => ({
  name,
  identity: name === 'bg96'
    ? { manufacturer: 'Quectel', model: 'BG96', revision: 'BG96MAR02A07M1G' }
    : { manufacturer: 'Quectel', model: 'BG95-M3', revision: 'BG95M3LAR02A03' },
  handlers,
});
