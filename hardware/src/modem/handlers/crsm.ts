// AT+CRSM: restricted SIM access [TS27.007 §8.18], READ BINARY (176) only, of EF_ICCID,
// EF_AD (the MNC length) and EF_IMSI. Results are the card's status words [TS102.221 §10.2].
import { AtFail } from '../result.js';
import { maxArgs, rangeArg, type Handler } from './types.js';

const READ_BINARY = 176;

export const crsm: Handler = (m, c) => {
  if (c.kind === 'test') return [];
  if (c.kind !== 'set') throw new AtFail();
  maxArgs(c, 7);
  const command = rangeArg(c, 0, 0, 255);
  if (command !== READ_BINARY) return ['+CRSM: 109,0']; // 6D00 instruction not supported
  const file = m.sim.readBinary(rangeArg(c, 1, 0, 65535));
  if (!file) return ['+CRSM: 106,130']; // 6A82 file not found
  if (file.needsPin && !m.sim.ready) return ['+CRSM: 105,130']; // 6982 security status not satisfied
  const offset = rangeArg(c, 2, 0, 255) * 256 + rangeArg(c, 3, 0, 255);
  const wanted = rangeArg(c, 4, 0, 255);
  if (offset >= file.data.length) return ['+CRSM: 107,0']; // 6B00 wrong P1-P2
  const length = wanted === 0 ? file.data.length - offset : wanted;
  if (offset + length > file.data.length) return [`+CRSM: 108,${file.data.length - offset}`]; // 6Cxx wrong Le
  const hex = Array.from(file.data.subarray(offset, offset + length), (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  return [`+CRSM: 144,0,"${hex}"`];
};
