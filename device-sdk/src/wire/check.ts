// Small field checkers shared by the template and message validators. Each throws a
// SimedgeError with the caller's code and the path of the offending field.
import { SimedgeError, type Code } from './codes.js';

export type Obj = Record<string, unknown>;

export class Checker {
  constructor(readonly code: Code) {}
  fail(path: string, why: string): never {
    throw new SimedgeError(this.code, `${path}: ${why}`);
  }
  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map) this.fail(path, 'must be a map');
    return v as Obj;
  }
  only(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${path}.${k}`, 'unknown field');
  }
  str(v: unknown, path: string, max = 256, re?: RegExp): string {
    if (typeof v !== 'string' || v.length === 0 || v.length > max) this.fail(path, `must be text of 1..${max} characters`);
    if (re && !re.test(v)) this.fail(path, `must match ${re}`);
    return v;
  }
  optStr(v: unknown, path: string, max = 256, re?: RegExp): string | undefined {
    return v === undefined ? undefined : this.str(v, path, max, re);
  }
  int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.fail(path, `must be an integer in ${min}..${max}`);
    return v;
  }
  num(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(path, `must be a number in ${min}..${max}`);
    return v;
  }
  bytes(v: unknown, path: string, min: number, max: number): Uint8Array {
    if (!(v instanceof Uint8Array) || v.length < min || v.length > max) this.fail(path, `must be ${min}..${max} bytes`);
    return v;
  }
  strs(v: unknown, path: string, maxItems: number, max = 64, re?: RegExp): string[] {
    if (!Array.isArray(v) || v.length > maxItems) this.fail(path, `must be a list of at most ${maxItems} texts`);
    return v.map((x, i) => this.str(x, `${path}[${i}]`, max, re));
  }
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) this.fail(path, `must be one of ${values.join(', ')}`);
    return v as T;
  }
}
