// The Node implementation of the core's Platform capabilities.
import { randomBytes } from 'node:crypto';
import type { Platform } from '../../core/platform.js';

export const nodePlatform: Platform = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  // Copy into a plain Uint8Array so callers never hold a pooled Buffer slice.
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
};
