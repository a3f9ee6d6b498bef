// The parser-based Espruino subset checker (scripts/espruino-subset.ts) on snippets: every
// construct reference/espruino.md lists as not working is reported; what works passes.
import { describe, expect, it } from 'vitest';
import { checkEspruinoSubset } from '../scripts/espruino-subset.js';

const rules = (code: string): string[] => checkEspruinoSubset(code).map((v) => v.rule);

const REFUSED: Array<[string, string]> = [
  ['async function f() {}', 'async function'],
  ['var f = async () => 1;', 'async function'],
  ['async function f() { await g(); }', 'await'],
  ['function* g() { yield 1; }', 'generator'],
  ['var n = 10n;', 'BigInt literal'],
  ['var s = Symbol("x");', 'no Symbol on Espruino'],
  ['var m = new Map();', 'no Map on Espruino'],
  ['var m = new Set();', 'no Set on Espruino'],
  ['var m = new WeakMap();', 'no WeakMap on Espruino'],
  ['var p = new Proxy({}, {});', 'no Proxy on Espruino'],
  ['var t = new TextEncoder();', 'no TextEncoder on Espruino'],
  ['function f(a = 1) {}', 'default value (parameter or destructuring)'],
  ['function f(...a) {}', 'rest element'],
  ['f(...a);', 'spread'],
  ['var a = [...b];', 'spread'],
  ['var o = { ...b };', 'spread'],
  ['var { a } = o;', 'destructuring'],
  ['var [a] = o;', 'destructuring'],
  ['var x = a?.b;', 'optional chaining'],
  ['x ??= 1;', 'logical assignment ??='],
  ['var x = 2 ** 8;', '** operator'],
  ['x **= 2;', '** operator'],
  ['outer: for (;;) { break outer; }', 'labelled statement'],
  ['var s = tag`x`;', 'tagged template'],
  ['var o = { [k]: 1 };', 'computed key'],
  ['class A { [k]() {} }', 'computed key'],
  ['class E2 extends Error {}', 'class extends Error'],
  ['class E3 extends TypeError {}', 'class extends Error'],
  ['class A { x = 1; }', 'class field'],
  ['class A { #x; }', 'class field'],
  ['var a = Array.from(x);', 'Array.from'],
  ['Number.isFinite(x);', 'Number.isFinite'],
  ['Math.imul(a, b);', 'Math.imul'],
  ['Promise.race([p]);', 'Promise.race'],
  ['Promise.allSettled([p]);', 'Promise.allSettled'],
  ['Promise.any([p]);', 'Promise.any'],
  ['p.finally(f);', '.finally()'],
  ['Array.prototype.slice.call(arguments);', 'Array.prototype.slice'],
  ['var r = /(?<y>[0-9]+)/;', 'regexp named group'],
  ['var r = /\\bword\\b/;', 'regexp \\b'],
  ['for (let i = 0; i < 3; i++) fs.push(() => i);', 'closure over a let of a for header'],
  ['f(); function f() {}', 'function used before its declaration (no hoisting)'],
  // Espruino's RegExp engine (src/jswrap_regexp.c): one item at a time, only * and + after it.
  ['var r = /^[0-9]{1,3}$/;', 'regexp {n,m} quantifier'],
  ['var r = /^ab?c$/;', 'regexp ? quantifier'],
  ['var r = /^(a|b)c$/;', 'regexp | inside a group'],
  ['var r = /^(ab)+$/;', 'regexp quantified group'],
  ['var r = /^(?:ab)c$/;', 'regexp (?...) group'],
  ['var r = /(a)\\1/;', 'regexp backreference or \\digit'],
  ['var r = /\\u0041/;', 'regexp escape \\u'],
  ['var r = new RegExp("a" + b);', 'new RegExp (only literals are checked)'],
  // espruino/Espruino#2339: `continue` in a case is a SyntaxError there.
  ['for (;;) { switch (x) { case 1: continue; } }', 'continue inside switch'],
  ['while (a) { switch (x) { default: if (b) { continue; } } }', 'continue inside switch'],
  ['var e = new RangeError("x");', 'no RangeError on Espruino'],
  // Promises on an already settled promise (see the rule in scripts/espruino-subset.ts).
  ['p.catch(f);', 'promise .catch() (use .then(ok, fail))'],
  ['p.then(undefined, f);', 'promise .then() without a success handler'],
  ['p.then(void 0, f);', 'promise .then() without a success handler'],
];

describe('Espruino subset checker [reference/espruino.md]', () => {
  for (const [code, rule] of REFUSED) {
    it(`refuses ${rule}: ${code}`, () => {
      expect(rules(code)).toContain(rule);
    });
  }

  it('accepts what Espruino runs', () => {
    const ok = `
      var o = { a: 1, get b() { return 2; } };
      const f = (x) => x + 1;
      let s = \`t \${o.a}\`;
      class A { constructor() { this.x = 1; } static m() { return 1; } get y() { return this.x; } }
      class B extends A { constructor() { super(); } }
      function g() { return Promise.all([Promise.resolve(1)]).then(function (v) { return v; }, function () {}); }
      for (const x of [1, 2]) s += x;
      for (let i = 0; i < 3; i++) s += i;
      for (var j = 0; j < 3; j++) setTimeout(function () { return j; }, 1);
      try { g(); } catch (e) { } finally { }
      var n = o.c ?? 3;
      var r = /^\\+CEREG: ([0-9]+)[\\b]$/;
      var u = new Uint8Array(4).slice(1);
      var e = Object.create(Error.prototype);
      function h() { return k(); } function k() { return 1; }
      h();
      var q = /^\\+QMTSTAT: ([0-9]+),([0-9A-Fa-f]*)x+$|^OK$/;
      switch (o.a) { case 1: for (;;) { if (n) continue; break; } break; default: break; }
      for (;;) { if (n) continue; switch (o.a) { case 1: break; } }
      p.then(function () {}, function () {});
    `;
    expect(checkEspruinoSubset(ok)).toEqual([]);
  });

  it('reports the line of each violation', () => {
    expect(checkEspruinoSubset('var a = 1;\nvar b = a ** 2;')).toEqual([{ rule: '** operator', line: 2, column: 8 }]);
  });
});
