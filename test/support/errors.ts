// Test support: the detail of the stable-code error a call throws (the config checks name the
// field there), failing the test when it throws nothing or anything else.
import { isSimedgeError, type Code } from '@simedge/device-sdk/wire';

export function detailOf(code: Code, fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSimedgeError(e) && e.code === code) return e.detail ?? '';
    throw e;
  }
  throw new Error(`expected ${code}`);
}
