// The size passes of the Espruino build (scripts/espruino-lean.ts, scripts/espruino-mangle.ts):
// error text goes but codes and data stay; methods nothing can call go; globals, `void 0` and
// `this` get short local aliases without changing what the code does; only names that cannot
// cross the bundle's boundary are shortened, so wire fields, the firmware API and built-ins keep
// their names.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'acorn';
import { afterAll, describe, expect, it } from 'vitest';
import { aliasGlobals, aliasStrings, aliasThis, callFactories, dropDeadMethods, dropDeadProps, dropErrorDetails, shareResolved } from '../scripts/espruino-lean.js';
import { internalNames, mangleRegExp } from '../scripts/espruino-mangle.js';

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

  it('drops the detail text in calls of a throwing helper shaped like the constructor (cbor.ts bad)', () => {
    const r = dropErrorDetails('function b(c,d){throw new E(c,d)}b("CBOR_INVALID","invalid UTF-8");b("CBOR_LIMIT","more than "+n+" items");f(x,"keep");');
    expect(r.dropped).toBe(2);
    expect(r.code).toContain('b("CBOR_INVALID")');
    expect(r.code).toContain('b("CBOR_LIMIT")');
    expect(r.code).toContain('f(x,"keep")');
  });

  it('drops the message text of TypeError and RangeError', () => {
    const r = dropErrorDetails('if(x)throw new TypeError("provision: why must be on, reset or roam");throw new RangeError("n is "+n);');
    expect(r.dropped).toBe(2);
    expect(r.code).toBe('if(x)throw new TypeError();throw new RangeError();');
  });

  it('drops the message text passed through an argument error helper (core/platform.ts rangeError), and then the helper\'s argument', () => {
    const src = 'function H(e){return new TypeError(e)}var o={H:1};if(x)throw H("budget: ipOverheadBytes must be 0..1500");'
      + 'f(()=>Promise.reject(H("QMT publish: payload is 1.."+4096+" bytes")));';
    const r = dropErrorDetails(src);
    expect(r.code).toBe('function H(e){return new TypeError()}var o={H:1};if(x)throw H();f(()=>Promise.reject(H()));');
    expect(r.dropped).toBe(3);
    // A helper passed on as a value, or called with data, keeps its argument; its text calls still lose theirs.
    expect(dropErrorDetails('var R=e=>new RangeError(e);g(R);throw R("text");').code).toBe('var R=e=>new RangeError(e);g(R);throw R();');
    expect(dropErrorDetails('function H(e){return new TypeError(e)}H(m);throw H("text");').code).toBe('function H(e){return new TypeError(e)}H(m);throw H();');
  });

  it('leaves a helper alone whose name another scope binds, and functions that do more than wrap their argument', () => {
    for (const src of [
      'function H(e){return new TypeError(e)}function g(H){return H("keep")}throw H("keep too");',
      'function H(e){log(e);return new TypeError(e)}throw H("keep");',
      'function H(e,t){return new TypeError(e)}throw H("keep");',
      'function H(e){return new Error(e)}throw H("keep");',
    ]) expect(dropErrorDetails(src)).toEqual({ code: src, dropped: 0 });
  });
});

/** Run a script and give back what it assigns to `out`. */
function run(code: string): unknown {
  return new Function(code + ';return out;')() as unknown;
}

describe('dropDeadMethods', () => {
  const src = 'class A{constructor(){this.x=1}used(){return this.helper()}helper(){return 2}dead(){return this.onlyFromDead()}onlyFromDead(){return 3}named(){return 4}toString(){return "A"}}'
    + 'var out=[new A().used(),"named",String(new A())];';

  it('removes methods no code names, also those only a removed method called', () => {
    const r = dropDeadMethods(src);
    expect(r.dropped).toBe(2);
    expect(r.code).not.toMatch(/dead\(|onlyFromDead/);
    for (const kept of ['used(', 'helper(', 'named(', 'toString(', 'constructor(']) expect(r.code, kept).toContain(kept);
    expect(run(r.code)).toEqual(run(src));
  });

  it('keeps every method that some code names', () => {
    const all = 'class A{a(){return 1}b(){return 2}}var o=new A(),out=[o.a(),o["b"]()];';
    expect(dropDeadMethods(all)).toEqual({ code: all, dropped: 0 });
  });
});

describe('aliasGlobals', () => {
  it('gives often used globals and void 0 local aliases inside the IIFE, same behaviour', () => {
    const src = 'var out;(()=>{function f(a){if(a===void 0)throw new TypeError();return new Uint8Array(a)}function g(b){return b instanceof Uint8Array&&b.length>0?new Uint8Array(b):void 0}'
      + 'try{f(void 0)}catch(e){out=[e instanceof TypeError,g(new Uint8Array([1,2])).length,g(new Uint8Array(0))===void 0,f(3).length,g(void 0)]}})();';
    const r = aliasGlobals(src);
    expect(r.aliased).toBeGreaterThan(0);
    expect(r.code).not.toContain('void 0');
    expect(r.code.match(/Uint8Array/g)).toHaveLength(1); // the alias declaration only
    expect(run(r.code)).toEqual(run(src));
    expect(run(src)).toEqual([true, 2, true, 3, undefined]);
  });

  it('touches nothing outside the wrapping function (the banner and footer cannot see the aliases)', () => {
    const src = 'var out;(()=>{out=[new Uint8Array(1),new Uint8Array(2),new Uint8Array(3),void 0,void 0]})();out.push(new Uint8Array(4),void 0);';
    const r = aliasGlobals(src);
    expect(r.code.endsWith(';out.push(new Uint8Array(4),void 0);')).toBe(true);
    expect(run(r.code)).toEqual(run(src));
  });

  it('leaves a global alone when some scope declares a local of that name', () => {
    const src = 'var out;(()=>{function f(Promise){return Promise}out=[f(1),Promise.resolve===Promise.resolve,typeof Promise,Promise.name,Promise.length]})();';
    expect(aliasGlobals(src).code).not.toMatch(/=Promise[,;]/);
  });
});

describe('aliasThis', () => {
  it('aliases this in a method with many uses, also inside its arrows, not in nested functions', () => {
    const src = 'class C{constructor(){this.a=1;this.b=2;this.c=3}m(){const f=()=>this.a+this.b;const g=function(){return this};return [f(),this.c,this.a,g.call(7)==7,this.b]}}var out=new C().m();';
    const r = aliasThis(src, 3);
    expect(r.aliased).toBe(5 + 3); // m: 5 uses (2 in its arrow), the constructor: 3
    expect(r.code).toContain('return this}'); // the nested function keeps its own this
    expect(run(r.code)).toEqual(run(src));
    expect(run(src)).toEqual([3, 3, 1, true, 2]);
  });
});

describe('aliasStrings', () => {
  it('gives repeated literals one local, keeps keys, directives and the banner, and spaces names apart from keywords', () => {
    const src = 'var out;(()=>{"use strict";const o={"state-one":1};function f(s){switch(s){case"state-one":return"state-one";default:return"state-one"in o?"other-state":"state-one"}}out=[f("state-one"),f("x"),o["state-one"],typeof"state-one"]})();var tail="state-one";';
    const r = aliasStrings(src);
    expect(r.aliased).toBe(7);
    expect(r.code).toContain('"use strict"');
    expect(r.code).toContain('{"state-one":1}');
    expect(r.code).toContain('var tail="state-one"');
    expect(r.code).toContain('case $str0:');
    expect(r.code).toContain('$str0 in o');
    expect(run(r.code)).toEqual(run(src));
    expect(run(src)).toEqual(['state-one', 'other-state', 1, 'string']);
  });

  it('leaves a literal that would not pay for its declaration', () => {
    const src = 'var out;(()=>{out=["ab","ab","ab"]})();';
    expect(aliasStrings(src)).toEqual({ code: src, aliased: 0 });
  });
});

describe('dropDeadProps', () => {
  it('drops internal keys nothing reads (also when only a same-named method reads them), keeps the rest', () => {
    const src = 'var out;(()=>{const inner={x(n){throw n}};const o={a:1,b:2,x(n){inner.x(n)},k:"k",pub:3,c:f()};function f(){return 5}out=[o.a,o.pub,"k" in o,o.c,Object.keys(inner).length]})();';
    const r = dropDeadProps(src, ['a', 'b', 'x', 'k', 'c']);
    expect(r.code).not.toMatch(/b:2|x\(n\)/);
    expect(r.code).toContain('pub:3'); // not internal: the firmware might read it
    expect(r.code).toContain('k:"k"'); // named by a string
    expect(r.code).toContain('c:f()'); // a value with an effect stays
    expect(run(r.code)).toEqual([1, 3, true, 5, 0]);
    expect(run(src)).toEqual([1, 3, true, 5, 1]);
  });

  it('counts a read in a value that runs when the object is made', () => {
    const src = 'var out;(()=>{const a={x:()=>7};const b={x:a.x()};out=b})();';
    expect(dropDeadProps(src, ['x']).code).toContain('x:()=>7');
  });
});

describe('shareResolved', () => {
  it('makes one resolved promise for every Promise.resolve() in the wrapping function, not for one with a value', () => {
    const src = 'var out;(()=>{const a=Promise.resolve(),b=Promise.resolve(void 0),c=Promise.resolve(7);out=[a===b,typeof a.then,c!==a]})();var p=Promise.resolve();';
    const r = shareResolved(src);
    expect(r.shared).toBe(2);
    expect(r.code).toContain('Promise.resolve(7)');
    expect(r.code).toContain('var p=Promise.resolve();'); // outside the wrapping function
    expect(run(r.code)).toEqual([true, 'function', true]);
  });

  it('leaves a source alone where a scope declares its own Promise', () => {
    const src = 'var out;(()=>{function f(Promise){return Promise.resolve()}out=[Promise.resolve(),Promise.resolve()]})();';
    expect(shareResolved(src)).toEqual({ code: src, shared: 0 });
  });
});

describe('callFactories', () => {
  it('calls closure factories without new, and lists a new it cannot prove safe', () => {
    const src = 'var out;(()=>{var F=function(a){let n=a;const g=function(){return 1};return n++,{get:()=>n+g()}};var K=function(a){this.a=a};var f=new F(1),h=new F;out=[f.get(),typeof h.get,new K(2).a]})();';
    const r = callFactories(src);
    expect(r.dropped).toBe(2);
    expect(r.code).toContain('f=F(1),h=F()');
    expect(r.unconverted).toEqual(['K']);
    expect(run(r.code)).toEqual(run(src));
    expect(run(src)).toEqual([3, 'function', 2]);
  });

  it('calls the portable SimedgeError without new: it returns the object it made with Object.create', () => {
    const src = 'var out;(()=>{function q(c){let e=Object.create(q.prototype);return e.code=c,e}q.prototype=Object.create(Error.prototype);var Y=q;let a=new Y("X");out=[a instanceof Y,a instanceof Error,a.code]})();';
    const r = callFactories(src);
    expect(r).toMatchObject({ dropped: 1, unconverted: [] });
    expect(r.code).toContain('a=Y("X")');
    expect(run(r.code)).toEqual([true, true, 'X']);
  });

  it('leaves a factory whose name another scope binds too', () => {
    const src = 'var out;(()=>{var F=function(){return{a:1}};out=[new F().a,(F=>F)(2)]})();';
    const r = callFactories(src);
    expect(r.dropped).toBe(0);
    expect(r.unconverted).toEqual(['F']);
  });
});

describe('internalNames (the Espruino bundle\'s rule)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'internal-'));
  const wire = mkdtempSync(join(tmpdir(), 'wire-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(wire, { recursive: true, force: true });
  });
  writeFileSync(join(wire, 'm.ts'), 'export interface Msg { rid: string; pid: string }\nexport class Codec { private scratch = 0; work(): number { return this.scratch; } }\n');
  writeFileSync(join(dir, 'a.ts'), [
    'export interface SimEdgeOptions { serial: unknown; onReady?: () => void }',
    'interface Job { cmd: string; lines: string[]; rid: string }',
    'const TABLE = { quectel: 1, generic: 2 };',
    'export function pick(d: string): number { return d === "quectel" ? TABLE.quectel : TABLE.generic; }',
    'export class Engine { private queue: Job[] = []; send(cmd: string): void { this.queue.push({ cmd: cmd, lines: [], rid: "x" }); } get length(): number { return 0; } }',
  ].join('\n'));

  it('shortens internal records, classes and methods; keeps wire fields, boundary members, string keys and built-ins', () => {
    expect(internalNames([dir], wire)).toEqual(['cmd', 'generic', 'lines', 'queue', 'send']);
  });

  it('over the SDK: internal names go, what the firmware or the network sees stays', () => {
    const names = internalNames([join(SRC, 'core'), join(SRC, 'adapter/espruino')], join(SRC, 'wire'));
    const re = mangleRegExp(names);
    // Members and records internal to the bundle: AT jobs, bye waits, the platform, the engine.
    for (const n of ['cmd', 'claim', 'echoSeen', 'pids', 'terms', 'platform', 'setTimer', 'randomBytes', 'onUrc', 'expectPrompt', 'iccidCmd']) expect(re.test(n), n).toBe(true);
    const kept = ['t', 'rid', 'pid', 'imsi', 'iccid', 'nonce', 'tpl', 'edge', 'svc', 'why', // wire/messages.ts
      'state', 'stop', 'start', 'version', 'onReady', 'onError', 'onTerm', 'template', 'serial', 'broker', 'trace', 'timeoutMs', // firmware API
      'cell', 'roaming', 'tac', 'ci', // the attach info onReady gets
      'publish', 'subscribe', 'code', 'detail', 'message', 'name', 'rejCode', 'rejMsg', // its transport and errors
      'quectel', 'generic', 'sim7080', // dialect names, looked up by the firmware's string
      'length', 'then', 'push', 'set', 'subarray', 'on', 'write', 'removeListener', 'hwRand', 'toUint8Array']; // built-ins, Espruino
    for (const n of kept) expect(re.test(n), n).toBe(false);
  });
});

describe('mangleRegExp', () => {
  it('builds an anchored expression (no partial matches)', () => {
    const r = mangleRegExp(['ab', 'cd']);
    expect(r.test('ab')).toBe(true);
    expect(r.test('abc')).toBe(false);
    expect(mangleRegExp([]).test('anything')).toBe(false);
  });
});
