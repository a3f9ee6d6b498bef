// The command table: every command name the emulator understands and its handler. Anything
// else answers ERROR.
import { echo, fixedFormat, info, reset } from './basic.js';
import { cereg } from './cereg.js';
import { cfun } from './cfun.js';
import { cgatt } from './cgatt.js';
import { cmee } from './cmee.js';
import { cops } from './cops.js';
import { cpin } from './cpin.js';
import { crsm } from './crsm.js';
import { ccid, cgmi, cgmm, cgmr, cgsn, cimi } from './identity.js';
import { cgdcont, cgpaddr } from './pdp.js';
import type { Handler } from './types.js';

export const HANDLERS: Readonly<Record<string, Handler>> = {
  E: echo,
  Z: reset,
  '&F': reset,
  I: info,
  V: fixedFormat(1),
  Q: fixedFormat(0),
  '+CFUN': cfun,
  '+CPIN': cpin,
  '+CIMI': cimi,
  '+CCID': ccid,
  '+CGSN': cgsn,
  '+CGMI': cgmi,
  '+CGMM': cgmm,
  '+CGMR': cgmr,
  '+CMEE': cmee,
  '+CEREG': cereg,
  '+COPS': cops,
  '+CGATT': cgatt,
  '+CGDCONT': cgdcont,
  '+CGPADDR': cgpaddr,
  '+CRSM': crsm,
};

export type { Handler } from './types.js';
