// Jittered exponential backoff for deploy-order retries [issue 4 item 4], as a pure function.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, retrySettings } from '../src/index.js';

const S = { baseMs: 100, maxMs: 1000 };

describe('backoffDelay()', () => {
  it('doubles per attempt up to the cap; half fixed, half jitter', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, S, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelay(0, S, () => 0.5)).toBe(75);
    expect(backoffDelay(2, S, () => 0.999)).toBeCloseTo(399.8, 5);
  });

  it('always in [step/2, step) for any attempt and random value', () => {
    fc.assert(fc.property(fc.nat(2000), fc.double({ min: 0, max: 1, noNaN: true }), (a, r) => {
      const step = Math.min(S.maxMs, S.baseMs * 2 ** Math.min(a, 52));
      const d = backoffDelay(a, S, () => r);
      return d >= step / 2 && d < step + 1e-9 && Number.isFinite(d);
    }));
  });

  it('refuses a negative or fractional attempt and bad settings', () => {
    expect(() => backoffDelay(-1, S, Math.random)).toThrow(RangeError);
    expect(() => backoffDelay(1.5, S, Math.random)).toThrow(RangeError);
    expect(() => retrySettings({ baseMs: 0 })).toThrow(RangeError);
    expect(() => retrySettings({ baseMs: 500, maxMs: 100 })).toThrow(RangeError);
    expect(retrySettings()).toMatchObject({ baseMs: 1000, maxMs: 8000 });
  });
});
