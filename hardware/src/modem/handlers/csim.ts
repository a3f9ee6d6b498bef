// AT+CSIM: generic SIM access [TS27.007 §8.17]. <length> counts the hex characters of <command>;
// the answer is +CSIM: <length>,"<response>" with SW1 SW2 as the last four hex digits. Some
// modems send the response without quotes (the `csimQuoted` setting reproduces that).
import { fromHex, toHex } from '../bytes.js';
import { AtFail, CME } from '../result.js';
import { maxArgs, rangeArg, type Handler } from './types.js';

/** A short APDU with 255 data bytes and Le: 261 bytes [ISO/IEC 7816-4 §5.1]. */
const MAX_APDU = 261;

export const csim: Handler = (m, c) => {
  if (c.kind === 'test') return [];
  if (c.kind !== 'set') throw new AtFail();
  maxArgs(c, 2);
  const len = rangeArg(c, 0, 2, MAX_APDU * 2); // short input reaches the card, which answers 6700
  const arg = c.args[1];
  // Quotes are optional on input too: hosts that learnt from quote-less modems omit them.
  const apdu = arg === undefined ? undefined : fromHex(arg.value);
  if (!apdu || arg === undefined || arg.value.length !== len) throw new AtFail(CME.INCORRECT_PARAMETERS);
  const hex = toHex(m.sim.uicc.transmit(apdu));
  return [m.csimQuoted ? `+CSIM: ${hex.length},"${hex}"` : `+CSIM: ${hex.length},${hex}`];
};
