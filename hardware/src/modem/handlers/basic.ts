// V.250 basic commands: E (echo), Z and &F (settings reset), I (identification), and V1/Q0
// (the only result-code formats this emulator speaks) [ITU-T V.250 §6.1-6.2].
import { AtFail } from '../result.js';
import { intArg, type Handler } from './types.js';

/** ATE<n> [V.250 §6.2.4]; ATE alone means ATE0. */
export const echo: Handler = (m, c) => {
  m.echo = intArg(c, 0, [0, 1] as const, 0) === 1;
  return [];
};

/** ATZ [V.250 §6.1.1] / AT&F [V.250 §6.1.2]: back to the power-up profile. */
export const reset: Handler = (m, c) => {
  intArg(c, 0, [0] as const, 0);
  m.resetSettings();
  return [];
};

/** ATI [V.250 §6.1.3] */
export const info: Handler = (_m, c) => {
  intArg(c, 0, [0] as const, 0);
  return ['simedge', 'EMU-27007', 'Revision: 0.1.0'];
};

/** ATV1 / ATQ0: verbose result codes, not quiet [V.250 §6.2.5-6.2.6]; other values unsupported. */
export const fixedFormat = (value: number): Handler => (_m, c) => {
  const a = c.args[0];
  if (Number(a?.value ?? '0') !== value) throw new AtFail();
  return [];
};
