// The Platform capabilities on Espruino. The one place that looks at the runtime (STYLE #2):
// `espruinoEnv()` reads Espruino's globals once; everything else gets them passed in, so tests
// (and the QuickJS proof) hand over their own.
import type { Platform } from '../../core/platform.js';

/** What the adapter takes from Espruino. */
export interface EspruinoEnv {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
  now(): number;
  /** 32 random bits from the hardware RNG (`E.hwRand`); undefined where the board has none. */
  hwRand: (() => number) | undefined;
  /** `require('crypto').SHA256`, when the firmware passes it. */
  sha256: ((data: Uint8Array) => ArrayBuffer) | undefined;
}

/** Platform plus SHA-256 (IoT SAFE and artefact digests), when the board has it. */
export interface EspruinoPlatform extends Platform {
  sha256: ((data: Uint8Array) => Uint8Array) | undefined;
}

interface EspruinoE {
  hwRand?: () => number;
}
declare const E: EspruinoE | undefined;

/**
 * Read Espruino's globals (only call this on Espruino or in a stand-in that provides them).
 * SHA-256 is not looked up here: the firmware passes `require('crypto').SHA256` in (STYLE #2), so
 * the bundle never touches Espruino's module loader.
 */
export function espruinoEnv(sha256?: (data: Uint8Array) => ArrayBuffer): EspruinoEnv {
  const e = typeof E === 'undefined' ? undefined : E;
  return {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    hwRand: e && e.hwRand ? e.hwRand : undefined,
    sha256: sha256,
  };
}

export function espruinoPlatform(env: EspruinoEnv): EspruinoPlatform {
  const rand = env.hwRand;
  const sha = env.sha256;
  return {
    now: () => env.now(),
    setTimer: (fn, ms) => env.setTimeout(fn, ms),
    clearTimer: (h) => {
      // Espruino throws "Unknown Timeout" for a timer that already fired; the contract says ignore.
      try {
        env.clearTimeout(h);
      } catch (e) {
        // already fired or cleared
      }
    },
    randomBytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        // E.hwRand: the board's hardware RNG. Without one Math.random is all there is: request
        // ids are then guessable, which the README says.
        b[i] = rand ? rand() & 0xff : Math.floor(Math.random() * 256);
      }
      return b;
    },
    sha256: sha ? (d) => new Uint8Array(sha(d)) : undefined,
  };
}
