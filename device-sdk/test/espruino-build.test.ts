// The two size passes of the Espruino build (scripts/espruino-lean.ts, scripts/espruino-mangle.ts):
// error text goes but codes and data stay; only names that are private and public nowhere are
// shortened, so wire fields, the firmware API and built-ins keep their names.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'acorn';
import { afterAll, describe, expect, it } from 'vitest';
import { dropErrorDetails } from '../scripts/espruino-lean.js';
import { mangleableNames, mangleRegExp } from '../scripts/espruino-mangle.js';

const SRC = join(import.meta.dirname, '../src');

describe('dropErrorDetails', () => {
  it('drops text details of SimedgeErrors and keeps the code', () => {
    const r = dropErrorDetails('function f(c,m,w){throw new c("TIMEOUT","no "+w+" within "+m+" ms")}g(new c("LINK_LOST","transport closed"),new c("AT_CLOSED",`x${m}`));');
    expect(r.dropped).toBe(3);
    expect(r.code).toContain('new c("TIMEOUT")');
    expect(r.code).toContain('new c("LINK_LOST")');
    expect(r.code).toContain('new c("AT_CLOSED")');
    expect(r.code).not.toMatch(/within|transport closed/);
    expect(() => parse(r.code, { ecmaVersion: 'latest', sourceType: 'module' })).not.toThrow();
  });

  it('keeps a detail that is data: the +CME ERROR number modem.ts reads back, a command, an identifier', () => {
    const src = 'a(new c("AT_CME_ERROR",l.substring(12).trim()),new c("AT_TIMEOUT",j.cmd),new c("REJECTED",k));';
    expect(dropErrorDetails(src)).toEqual({ code: src, dropped: 0 });
  });

  it('leaves calls whose first argument is not a known code, and details with side effects', () => {
    const src = 'a(new c("NOT_A_CODE","text"),new c(x,"text"),new c("TIMEOUT","n="+i++),new Foo("TIMEOUT"));';
    expect(dropErrorDetails(src)).toEqual({ code: src, dropped: 0 });
  });

  it('drops the message text of TypeError and RangeError', () => {
    const r = dropErrorDetails('if(x)throw new TypeError("provision: why must be on, reset or roam");throw new RangeError("n is "+n);');
    expect(r.dropped).toBe(2);
    expect(r.code).toBe('if(x)throw new TypeError();throw new RangeError();');
  });
});

describe('mangleableNames', () => {
  const names = mangleableNames([SRC]);
  const re = mangleRegExp(names);

  it('shortens private members of the device core', () => {
    for (const n of ['requests', 'byeWait', 'rejectWaiters', 'provisions', 'early']) expect(re.test(n), n).toBe(true);
  });

  it('never shortens wire fields, firmware API names or built-ins', () => {
    const kept = ['t', 'rid', 'pid', 'imsi', 'iccid', 'nonce', 'tpl', 'edge', 'svc', 'why', // wire/messages.ts
      'state', 'stop', 'start', 'version', 'onReady', 'onError', 'onTerm', 'template', 'serial', 'broker', 'trace', // firmware API
      'publish', 'subscribe', 'code', 'detail', 'message', 'name', // transport and errors
      'length', 'then', 'push', 'set', 'subarray', 'on', 'write', 'hwRand', 'toUint8Array']; // built-ins, Espruino
    for (const n of kept) expect(re.test(n), n).toBe(false);
  });

  describe('over a fixture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mangle-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.ts'), [
      'export interface Wire { shared: number }',
      'export class A { private only = 1; private shared = 2; private get getter(): number { return 1; } pub = 3;',
      '  constructor(private readonly param: number, readonly open: number) {} private method(): void {} }',
      'export const lit = { keyed: 1 };',
      'export class B { private keyed = 0; private length = 0; private pub = 0; }',
    ].join('\n'));

    it('takes private fields, getters, methods and parameter properties, minus every public name', () => {
      expect(mangleableNames([dir])).toEqual(['getter', 'method', 'only', 'param']);
    });
  });

  it('builds an anchored expression (no partial matches)', () => {
    const r = mangleRegExp(['ab', 'cd']);
    expect(r.test('ab')).toBe(true);
    expect(r.test('abc')).toBe(false);
    expect(mangleRegExp([]).test('anything')).toBe(false);
  });
});
