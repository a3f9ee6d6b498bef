// The Platform capabilities on Moddable XS, from modules the firmware imports and passes in
// (STYLE #2): `import Timer from "timer"` and a random source (e.g. the SoC's RNG).
import type { Platform } from '../../core/platform.js';

/** Moddable's Timer module (set/clear). */
export interface ModdableTimer {
  set(fn: () => void, ms: number): unknown;
  clear(id: unknown): void;
}

export interface ModdableCaps {
  Timer: ModdableTimer;
  /** n random bytes from a cryptographic source. */
  randomBytes(n: number): Uint8Array;
  now?: () => number;
}

export function moddablePlatform(caps: ModdableCaps): Platform {
  return {
    now: caps.now || (() => Date.now()),
    setTimer: (fn, ms) => caps.Timer.set(fn, ms),
    clearTimer: (h) => {
      if (h !== undefined) caps.Timer.clear(h);
    },
    randomBytes: (n) => caps.randomBytes(n),
  };
}
