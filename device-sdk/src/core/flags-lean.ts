// Build-time switches of the Espruino bundles (scripts/build-espruino.ts substitutes this module
// for core/flags.ts): no traces - the `trace`/`atTrace` options are accepted but stay silent,
// which saves the strings and the code that builds them (every byte of code lives in RAM) - no
// free-text error detail, and none of the features the firmware API cannot reach.
// The feature switches below (IOTSAFE, BUDGET, HOMEPLMN, RAWREAD) are the values of the SDK's
// dist/espruino/simedge.min.js; the build sets each from its options (BundleOptions: the bundle
// with the IoT SAFE client, a firmware's own bundle built by `simedge espruino build`), and
// refuses a flags.ts switch this file does not have.
import type {
  BUDGET as FullBudget, DETAIL as FullDetail, FULL as Full, HOMEPLMN as FullHomePlmn, IOTSAFE as FullIotSafe, RAWREAD as FullRawRead, TRACE as FullTrace,
} from './flags.js';

export const TRACE: typeof FullTrace = false;
/** E.g. no onLinkLost listeners here: SimEdgeOptions has no such option (core/flags.ts). */
export const FULL: typeof Full = false;
/** Errors carry their stable code only; diagnostics are silent. */
export const DETAIL: typeof FullDetail = false;
/** No IoT SAFE client: SimEdge.start refuses the `iotSafe` option instead of sending no proof. */
export const IOTSAFE: typeof FullIotSafe = false;
/** The data budget: SimEdge.start's `budgetBytesPerDay`, `budgetState` and `budget()`. */
export const BUDGET: typeof FullBudget = true;
/** Roaming by home PLMN: SimEdge.start's `homePlmn`. */
export const HOMEPLMN: typeof FullHomePlmn = true;
/** Raw binary blocks in the AT engine: on in a bundle with the CMQTT or UMQTT driver (the QMT driver reads hex). */
export const RAWREAD: typeof FullRawRead = false;
