// Build-time switches of the Espruino bundle with the IoT SAFE client
// (dist/espruino/simedge-iotsafe.min.js; scripts/build-espruino.ts substitutes this module for
// core/flags.ts when it builds with `iotSafe`): the lean build of core/flags-lean.ts, plus the
// provisioning proofs the SIM signs through AT+CSIM (core/iotsafe.ts), reached from the firmware
// API's `iotSafe` option. The constants are written out, not re-exported, so that esbuild inlines
// them as it inlines those of flags-lean.ts.
import type { DETAIL as FullDetail, FULL as Full, IOTSAFE as FullIotSafe, TRACE as FullTrace } from './flags.js';

export const TRACE: typeof FullTrace = false;
export const FULL: typeof Full = false;
export const DETAIL: typeof FullDetail = false;
/** SimEdge.start({ iotSafe, sha256 }) makes every prov carry the SIM's proof. */
export const IOTSAFE: typeof FullIotSafe = true;
