// Build-time switches of the Espruino bundle (scripts/build-espruino.ts substitutes this module
// for core/flags.ts): no traces - the `trace`/`atTrace` options are accepted but stay silent,
// which saves the strings and the code that builds them (every byte of code lives in RAM) - no
// free-text error detail, and none of the features the firmware API cannot reach.
// core/flags-lean-iotsafe.ts is the same with the IoT SAFE client.
import type { DETAIL as FullDetail, FULL as Full, IOTSAFE as FullIotSafe, TRACE as FullTrace } from './flags.js';

export const TRACE: typeof FullTrace = false;
/** E.g. no onLinkLost listeners here: SimEdgeOptions has no such option (core/flags.ts). */
export const FULL: typeof Full = false;
/** Errors carry their stable code only; diagnostics are silent. */
export const DETAIL: typeof FullDetail = false;
/** No IoT SAFE client: SimEdge.start refuses the `iotSafe` option instead of sending no proof. */
export const IOTSAFE: typeof FullIotSafe = false;
