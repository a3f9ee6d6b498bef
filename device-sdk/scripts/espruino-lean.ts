// Post-pass of the Espruino build: drops the human-readable detail text of SimedgeErrors from the
// minified bundle, keeping the stable code (STYLE #9: a device reports the code; an operator looks
// the message up in wire/codes.ts). Every byte of code lives in RAM on Espruino.
//
// The same holds for the message of argument errors, `new TypeError(text)` / `new RangeError(text)`
// (a firmware bug, found on the desk with the Node SDK, which keeps every message), also when it
// goes through a helper that only wraps its one argument in one, `rangeError(text)`
// (core/platform.ts: `function H(e){return new TypeError(e)}` once esbuild has inlined FULL).
//
// Rule: in `new E("CODE", detail)` where "CODE" is a code of wire/codes.ts, and in a call of a
// throwing helper of the same shape, `fail("CODE", detail)` (cbor.ts), the detail argument is
// removed when it is text written in the source - a string or template literal, or a `+` chain
// with a string literal in it ("no " + what + " within " + ms + " ms"). A detail that is data
// (an identifier, a call such as `line.substring(n).trim()` giving the +CME ERROR number, which
// modem.ts reads back) is kept. The dropped expressions only build strings, so no side effect is
// lost; a detail with an assignment, update or `new` in it is kept to be safe.
import { parse, type Node } from 'acorn';
import { CODES } from '../src/wire/codes.js';

type AnyNode = Node & { [k: string]: unknown };

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function walk(n: AnyNode, fn: (n: AnyNode) => void): void {
  fn(n);
  for (const k of Object.keys(n)) {
    const v = n[k];
    if (Array.isArray(v)) for (const x of v) { if (isNode(x)) walk(x, fn); }
    else if (isNode(v)) walk(v, fn);
  }
}

function isText(n: AnyNode): boolean {
  if (n.type === 'Literal') return typeof n.value === 'string';
  if (n.type === 'TemplateLiteral') return true;
  if (n.type === 'BinaryExpression' && n.operator === '+') return isText(n.left as AnyNode) || isText(n.right as AnyNode);
  return false;
}

function pure(n: AnyNode): boolean {
  let ok = true;
  walk(n, (x) => {
    if (x.type === 'AssignmentExpression' || x.type === 'UpdateExpression' || x.type === 'NewExpression' || x.type === 'AwaitExpression' || x.type === 'YieldExpression') ok = false;
  });
  return ok;
}

/** The argument of `new TypeError(p)` / `new RangeError(p)` when n is that, of the identifier p. */
function argErrorOf(n: AnyNode | null | undefined, p: string): AnyNode | undefined {
  if (!n || n.type !== 'NewExpression') return undefined;
  const c = n.callee as AnyNode;
  const a = n.arguments as AnyNode[];
  const m = a[0];
  return c.type === 'Identifier' && (c.name === 'TypeError' || c.name === 'RangeError') && a.length === 1 && m
    && m.type === 'Identifier' && m.name === p ? m : undefined;
}

/**
 * The functions that only make an argument error of their one parameter, by name, each with that
 * parameter where the error takes it: `function f(m){return new TypeError(m)}`,
 * `var f=function(m){...}`, `var f=m=>new TypeError(m)`. A name counts only when the whole source
 * binds it once, so no scope's own `f` is mistaken for it.
 */
function argErrorHelpers(ast: AnyNode): { [name: string]: AnyNode } {
  const bound: { [n: string]: number } = {};
  const count = (p: AnyNode | null | undefined): void => {
    if (p) walk(p, (x) => { if (x.type === 'Identifier') bound[x.name as string] = (bound[x.name as string] || 0) + 1; });
  };
  const found: Array<[string, AnyNode]> = [];
  const arg = (fn: AnyNode): AnyNode | undefined => {
    const ps = fn.params as AnyNode[];
    const p = ps.length === 1 && (ps[0] as AnyNode).type === 'Identifier' ? (ps[0] as AnyNode).name as string : undefined;
    if (p === undefined) return undefined;
    const body = fn.body as AnyNode;
    if (body.type !== 'BlockStatement') return argErrorOf(body, p);
    const st = body.body as AnyNode[];
    return st.length === 1 && (st[0] as AnyNode).type === 'ReturnStatement' ? argErrorOf((st[0] as AnyNode).argument as AnyNode | null, p) : undefined;
  };
  walk(ast, (n) => {
    if (n.type === 'VariableDeclarator') {
      count(n.id as AnyNode);
      const init = n.init as AnyNode | null;
      const a = (n.id as AnyNode).type === 'Identifier' && init && (init.type === 'FunctionExpression' || init.type === 'ArrowFunctionExpression') ? arg(init) : undefined;
      if (a) found.push([(n.id as AnyNode).name as string, a]);
    } else if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') {
      count(n.id as AnyNode | null);
      for (const p of n.params as AnyNode[]) count(p);
      const a = n.type === 'FunctionDeclaration' && n.id ? arg(n) : undefined;
      if (a) found.push([(n.id as AnyNode).name as string, a]);
    } else if (n.type === 'ClassDeclaration' || n.type === 'ClassExpression') count(n.id as AnyNode | null);
    else if (n.type === 'CatchClause') count(n.param as AnyNode | null);
    else if (n.type === 'ImportSpecifier' || n.type === 'ImportDefaultSpecifier' || n.type === 'ImportNamespaceSpecifier') count(n.local as AnyNode);
  });
  const out: { [name: string]: AnyNode } = {};
  for (const [f, a] of found) if (bound[f] === 1) out[f] = a;
  return out;
}

/**
 * Source with error detail text and argument error messages removed, and how many were dropped.
 * When every use of an argument error helper is a call that lost its text, the helper makes its
 * error without an argument too (`new TypeError(m)` of an undefined `m` is `new TypeError()`;
 * a minifier that inlines the helper would otherwise write `new TypeError(void 0)`).
 */
export function dropErrorDetails(code: string): { code: string; dropped: number } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as AnyNode;
  const helpers = argErrorHelpers(ast);
  const isHelper = (n: AnyNode): boolean => n.type === 'Identifier' && Object.prototype.hasOwnProperty.call(helpers, n.name as string);
  const cuts: Array<[number, number]> = [];
  // Per helper: its references, and those that are calls whose text went.
  const refs: { [name: string]: number } = {};
  const cut: { [name: string]: number } = {};
  walkWithParent(ast, undefined, (n, parent) => {
    // A key or member of the same name (`{F:1}`, `o.F`) is not the helper.
    const key = parent && ((parent.type === 'MemberExpression' && parent.property === n && !parent.computed)
      || ((parent.type === 'Property' || parent.type === 'MethodDefinition') && parent.key === n && !parent.computed && !parent.shorthand));
    if (isHelper(n) && !key) refs[n.name as string] = (refs[n.name as string] || 0) + 1;
    if (n.type !== 'NewExpression' && n.type !== 'CallExpression') return;
    const args = n.arguments as AnyNode[];
    const callee = n.callee as AnyNode;
    if ((n.type === 'NewExpression' && callee.type === 'Identifier' && (callee.name === 'TypeError' || callee.name === 'RangeError'))
      || (n.type === 'CallExpression' && isHelper(callee))) {
      const m = args[0];
      if (args.length === 1 && m && isText(m) && pure(m)) {
        cuts.push([m.start, m.end]);
        if (n.type === 'CallExpression') cut[callee.name as string] = (cut[callee.name as string] || 0) + 1;
      }
      return;
    }
    const [c, d] = args;
    if (args.length !== 2 || !c || !d || c.type !== 'Literal' || typeof c.value !== 'string') return;
    if (!Object.prototype.hasOwnProperty.call(CODES, c.value)) return;
    if (isText(d) && pure(d)) cuts.push([c.end, d.end]);
  });
  // The declaration's own name is one reference (a declarator's or function's id).
  for (const name of Object.keys(helpers)) {
    const a = helpers[name] as AnyNode;
    if ((cut[name] || 0) > 0 && refs[name] === (cut[name] || 0) + 1) cuts.push([a.start, a.end]);
  }
  cuts.sort((a, b) => b[0] - a[0]);
  let out = code;
  for (const [from, to] of cuts) out = out.slice(0, from) + out.slice(to);
  return { code: out, dropped: cuts.length };
}

// Names the runtime itself calls on an object, which no code of the bundle mentions.
const CALLED_BY_RUNTIME = ['constructor', 'toString', 'toJSON', 'valueOf', 'then'];

/**
 * Source with the class methods that nothing can call removed, and how many were removed.
 * esbuild's tree shaking keeps every method of a class it keeps; but once core/flags-lean.ts has
 * dropped the branches of features the firmware API cannot reach (and the trace and log helpers
 * only those branches called), some methods have no caller left. The rule: a method, getter or
 * setter whose name occurs nowhere else in the bundle - not as a member name, an object key or a
 * string - cannot be reached (the bundle's classes are internal: the firmware API is object
 * literals, and dynamic lookups (`table[key]`) index data tables, never classes). Repeated until
 * nothing changes, since a removed method may have been the only caller of another.
 */
export function dropDeadMethods(code: string): { code: string; dropped: number } {
  let out = code;
  let dropped = 0;
  for (;;) {
    const ast = parse(out, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as AnyNode;
    const used: { [name: string]: true } = {};
    const methods: AnyNode[] = [];
    walk(ast, (n) => {
      if (n.type === 'MethodDefinition') {
        methods.push(n);
        return; // its own key is a definition, not a use
      }
      if (n.type === 'MemberExpression' && !n.computed) used[(n.property as AnyNode).name as string] = true;
      else if (n.type === 'Property' && !n.computed) {
        const k = n.key as AnyNode;
        used[String(k.type === 'Identifier' ? k.name : k.value)] = true;
      } else if (n.type === 'Literal' && typeof n.value === 'string') used[n.value] = true;
    });
    const dead = methods.filter((m) => {
      const k = m.key as AnyNode;
      if (m.computed || k.type !== 'Identifier' || m.kind === 'constructor') return false;
      const name = k.name as string;
      return !Object.prototype.hasOwnProperty.call(used, name) && CALLED_BY_RUNTIME.indexOf(name) < 0;
    });
    if (dead.length === 0) return { code: out, dropped: dropped };
    dead.sort((a, b) => b.start - a.start);
    for (const m of dead) out = out.slice(0, m.start) + out.slice(m.end);
    dropped += dead.length;
  }
}

// Globals the bundle uses often, and which nothing reassigns: a local alias is shorter, and on
// Espruino a local is found faster than a global.
const ALIASED = ['TypeError', 'RangeError', 'Uint8Array', 'Promise', 'Object', 'String', 'Math', 'Array', 'Error'];
const RESERVED = ['do', 'if', 'in', 'for', 'let', 'new', 'try', 'var', 'case', 'else', 'enum', 'this', 'void', 'with'];

function aliasName(i: number): string {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
  const rest = first + '0123456789';
  let s = first.charAt(i % first.length);
  for (let n = Math.floor(i / first.length); n > 0; n = Math.floor((n - 1) / rest.length)) s += rest.charAt((n - 1) % rest.length);
  return s;
}

/**
 * Source whose wrapping function (the IIFE of the bundle) declares short aliases for often used
 * globals (`TypeError`, `Uint8Array`, `Promise`, ...) and for `void 0`, and uses them. An alias
 * is a name that occurs nowhere in the source, so no scope can shadow it; a global is aliased only
 * when no scope declares a local of the same name, and only when that saves bytes.
 */
export function aliasGlobals(code: string): { code: string; aliased: number } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
  const names: { [n: string]: true } = {};
  const refs: { [n: string]: AnyNode[] } = {};
  const voids: AnyNode[] = [];
  let iife: AnyNode | undefined;
  walkWithParent(ast, undefined, (n, parent) => {
    if (n.type === 'Identifier') {
      names[n.name as string] = true;
      const asProperty = parent && ((parent.type === 'MemberExpression' && parent.property === n && !parent.computed)
        || (parent.type === 'Property' && parent.key === n && !parent.computed && !parent.shorthand)
        || (parent.type === 'MethodDefinition' && parent.key === n));
      if (!asProperty && ALIASED.indexOf(n.name as string) >= 0) (refs[n.name as string] = refs[n.name as string] || []).push(n);
    } else if (n.type === 'UnaryExpression' && n.operator === 'void' && (n.argument as AnyNode).type === 'Literal' && (n.argument as AnyNode).value === 0) {
      voids.push(n);
    } else if (!iife && n.type === 'CallExpression' && ((n.callee as AnyNode).type === 'ArrowFunctionExpression' || (n.callee as AnyNode).type === 'FunctionExpression')) {
      iife = n.callee as AnyNode;
    }
  });
  const body = iife && (iife.body as AnyNode);
  if (!body || body.type !== 'BlockStatement') return { code: code, aliased: 0 };
  // A global that some scope declares as a local would be captured wrongly: leave it alone.
  const declared = declaredNames(ast);
  let next = 0;
  const fresh = (): string => {
    for (;;) {
      const s = aliasName(next++);
      if (!names[s] && RESERVED.indexOf(s) < 0) return s;
    }
  };
  const decl: string[] = [];
  const cuts: Array<[number, number, string]> = [];
  // Only inside the wrapping function, where the aliases are declared (not the banner or footer).
  const inside = (n: AnyNode): boolean => n.start > body.start && n.end < body.end;
  for (const g of ALIASED) {
    const list = (refs[g] || []).filter(inside);
    if (declared[g] || list.length * (g.length - 2) <= g.length + 4) continue;
    const a = fresh();
    decl.push(a + '=' + g);
    for (const r of list) cuts.push([r.start, r.end, a]);
  }
  const inVoids = voids.filter(inside);
  if (inVoids.length * 4 > 4) {
    const a = fresh();
    decl.push(a);
    for (const v of inVoids) cuts.push([v.start, v.end, a]);
  }
  if (decl.length === 0) return { code: code, aliased: 0 };
  cuts.sort((x, y) => y[0] - x[0]);
  let out = code;
  for (const [from, to, s] of cuts) out = out.slice(0, from) + s + out.slice(to);
  const at = body.start + 1; // inside the `{`, before any reference (all refs are after it)
  out = out.slice(0, at) + 'let ' + decl.join(',') + ';' + out.slice(at);
  return { code: out, aliased: cuts.length };
}

function walkWithParent(n: AnyNode, parent: AnyNode | undefined, fn: (n: AnyNode, parent: AnyNode | undefined) => void): void {
  fn(n, parent);
  for (const k of Object.keys(n)) {
    const v = n[k];
    if (Array.isArray(v)) for (const x of v) { if (isNode(x)) walkWithParent(x, n, fn); }
    else if (isNode(v)) walkWithParent(v, n, fn);
  }
}

/** Every name a declaration, parameter or catch clause binds, anywhere. */
function declaredNames(ast: AnyNode): { [n: string]: true } {
  const out: { [n: string]: true } = {};
  const bind = (p: AnyNode | null | undefined): void => {
    if (!p) return;
    walk(p, (x) => {
      if (x.type === 'Identifier') out[x.name as string] = true;
    });
  };
  walk(ast, (n) => {
    if (n.type === 'VariableDeclarator') bind(n.id as AnyNode);
    else if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') {
      bind(n.id as AnyNode | null);
      for (const p of n.params as AnyNode[]) bind(p);
    } else if (n.type === 'ClassDeclaration' || n.type === 'ClassExpression') bind(n.id as AnyNode | null);
    else if (n.type === 'CatchClause') bind(n.param as AnyNode | null);
  });
  return out;
}

/**
 * Source where each function that uses `this` at least `min` times (directly or in its arrow
 * functions, which share it) starts with `let <alias>=this;` and uses the alias: a one-letter
 * name after minification instead of four letters, about 3 bytes per use. Nested ordinary
 * functions have their own `this` and are handled on their own. The alias is a name that occurs
 * nowhere in the source, so no scope shadows it.
 */
export function aliasThis(code: string, min = 4): { code: string; aliased: number } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
  const names: { [n: string]: true } = {};
  const uses = new Map<AnyNode, AnyNode[]>();
  const visit = (n: AnyNode, owner: AnyNode | undefined): void => {
    if (n.type === 'Identifier') names[n.name as string] = true;
    if (n.type === 'ThisExpression' && owner) {
      const list = uses.get(owner) || [];
      list.push(n);
      uses.set(owner, list);
    }
    const own = n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration' ? n : owner;
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) for (const x of v) { if (isNode(x)) visit(x, own); }
      else if (isNode(v)) visit(v, own);
    }
  };
  visit(ast, undefined);
  let next = 0;
  const fresh = (): string => {
    for (;;) {
      const s = '$this' + next++;
      if (!names[s]) return s;
    }
  };
  const edits: Array<[number, number, string]> = [];
  let aliased = 0;
  uses.forEach((list, fn) => {
    const body = fn.body as AnyNode;
    if (list.length < min || body.type !== 'BlockStatement') return;
    const a = fresh();
    edits.push([body.start + 1, body.start + 1, 'let ' + a + '=this;']);
    for (const t of list) edits.push([t.start, t.end, a]);
    aliased += list.length;
  });
  // Back to front; at one position the replacement of a `this` goes before the insertion that
  // precedes it (a body may begin with `this`).
  edits.sort((x, y) => y[0] - x[0] || y[1] - x[1]);
  let out = code;
  for (const [from, to, s] of edits) out = out.slice(0, from) + s + out.slice(to);
  return { code: out, aliased: aliased };
}

/**
 * An object literal, a local made by `Object.create(...)` (`made`), or a comma sequence ending in
 * one (esbuild joins statements into the return).
 */
function givesObject(n: AnyNode | null, made: { [name: string]: true }): boolean {
  if (!n) return false;
  if (n.type === 'SequenceExpression') return givesObject((n.expressions as AnyNode[])[(n.expressions as AnyNode[]).length - 1] || null, made);
  return n.type === 'ObjectExpression' || (n.type === 'Identifier' && made[n.name as string] === true);
}

/** `Object.create(...)`. */
function isCreate(n: AnyNode | null | undefined): boolean {
  const c = n && n.type === 'CallExpression' ? n.callee as AnyNode : undefined;
  return !!c && c.type === 'MemberExpression' && !c.computed && (c.object as AnyNode).type === 'Identifier'
    && (c.object as AnyNode).name === 'Object' && (c.property as AnyNode).name === 'create';
}

/**
 * A function that gives the same object with or without `new`: no `this`, `arguments` or
 * `new.target` inside (arrows share them), and every `return` of its own gives an object literal
 * or a local it made with `Object.create` and never reassigns (the portable SimedgeError).
 */
function isFactory(fn: AnyNode): boolean {
  const body = fn.body as AnyNode;
  if ((fn.type !== 'FunctionExpression' && fn.type !== 'FunctionDeclaration') || fn.generator || fn.async || body.type !== 'BlockStatement') return false;
  const last = (body.body as AnyNode[])[(body.body as AnyNode[]).length - 1];
  if (!last || last.type !== 'ReturnStatement') return false;
  const made: { [name: string]: true } = {};
  for (const st of body.body as AnyNode[]) {
    if (st.type !== 'VariableDeclaration') continue;
    for (const d of st.declarations as AnyNode[]) if ((d.id as AnyNode).type === 'Identifier' && isCreate(d.init as AnyNode | null)) made[(d.id as AnyNode).name as string] = true;
  }
  let ok = true;
  const isFn = (x: AnyNode): boolean => x.type === 'FunctionExpression' || x.type === 'FunctionDeclaration' || x.type === 'ArrowFunctionExpression';
  // `own`: still in the factory's own body, not in a function nested in it (its returns are its own).
  const visit = (n: AnyNode, own: boolean): void => {
    if (n.type === 'ThisExpression' || n.type === 'MetaProperty' || (n.type === 'Identifier' && n.name === 'arguments')) ok = false;
    if (own && n.type === 'ReturnStatement' && !givesObject(n.argument as AnyNode | null, made)) ok = false;
    if (n.type === 'AssignmentExpression' && (n.left as AnyNode).type === 'Identifier' && made[(n.left as AnyNode).name as string]) ok = false;
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) for (const x of v) { if (isNode(x)) visit(x, own && !isFn(x)); }
      else if (isNode(v)) visit(v, own && !isFn(v));
    }
  };
  visit(body, true);
  return ok;
}

/**
 * Source where `new F(...)` becomes `F(...)` when F is one of the core's closure factories
 * (`const MqttSession = function MqttSession(...) { ...; return { ... }; }`): a function that
 * returns an object literal on every path and never touches `this` gives the same object with or
 * without `new`. Without `new` on them, terser may turn every such `function` into an arrow
 * (`unsafe_arrows`), which saves bytes all over the bundle. The same holds for the portable
 * SimedgeError (core/errors.ts), which returns the object it made with `Object.create`. A name
 * is rewritten only when the whole source binds it once (no scope can shadow it). `unconverted`
 * lists every `new` left that might construct a function expression (one not proven a factory, a
 * local this pass cannot resolve, `new a.b()`): the build refuses them, since terser could make
 * that function an arrow, which cannot be constructed. Globals and function declarations are safe.
 */
export function callFactories(code: string): { code: string; dropped: number; unconverted: string[] } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
  const bindings: { [n: string]: number } = {};
  const fns: { [n: string]: AnyNode } = {};
  const aliases: { [n: string]: string } = {};
  /** Locals bound to a class expression (`var X=class{...}`): terser never makes a class an arrow. */
  const classes: { [n: string]: true } = {};
  const bind = (p: AnyNode | null | undefined): void => {
    if (p) walk(p, (x) => { if (x.type === 'Identifier') bindings[x.name as string] = (bindings[x.name as string] || 0) + 1; });
  };
  const news: AnyNode[] = [];
  walk(ast, (n) => {
    if (n.type === 'VariableDeclarator') {
      bind(n.id as AnyNode);
      const init = n.init as AnyNode | null;
      if ((n.id as AnyNode).type === 'Identifier' && init && init.type === 'FunctionExpression') fns[(n.id as AnyNode).name as string] = init;
      if ((n.id as AnyNode).type === 'Identifier' && init && init.type === 'ClassExpression') classes[(n.id as AnyNode).name as string] = true;
      // `var Y=q` after `function q(){}` (esbuild's name for an export): Y constructs what q does.
      if ((n.id as AnyNode).type === 'Identifier' && init && init.type === 'Identifier') aliases[(n.id as AnyNode).name as string] = init.name as string;
    } else if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') {
      bind(n.id as AnyNode | null);
      if (n.type === 'FunctionDeclaration' && n.id) fns[(n.id as AnyNode).name as string] = n;
      for (const p of n.params as AnyNode[]) bind(p);
    } else if (n.type === 'ClassDeclaration' || n.type === 'ClassExpression') bind(n.id as AnyNode | null);
    else if (n.type === 'CatchClause') bind(n.param as AnyNode | null);
    else if (n.type === 'NewExpression') news.push(n);
  });
  const cuts: Array<[number, number, string]> = [];
  const unconverted: string[] = [];
  for (const n of news) {
    // `new a.b()` or `new (f())`: what is constructed is not known here, so terser's arrows
    // might break it - reported, the build refuses it.
    if ((n.callee as AnyNode).type !== 'Identifier') {
      unconverted.push(code.slice((n.callee as AnyNode).start, (n.callee as AnyNode).end));
      continue;
    }
    const name = (n.callee as AnyNode).name as string;
    const target = Object.prototype.hasOwnProperty.call(aliases, name) ? aliases[name] as string : name;
    const fn = Object.prototype.hasOwnProperty.call(fns, target) ? fns[target] : undefined;
    if (!fn) {
      // A class (none in the SDK's sources today; a firmware's own entry may bring one) is
      // constructed as written: terser never turns a class into an arrow.
      if (bindings[target] === 1 && classes[target]) continue;
      // A global (Uint8Array, Promise, Error: bound nowhere in the source) is safe; a local bound
      // to something this pass cannot see (an assignment, a parameter) might be a function
      // expression terser turns into an arrow: reported.
      if (bindings[name] !== undefined) unconverted.push(name);
      continue;
    }
    if (bindings[name] === 1 && bindings[target] === 1 && isFactory(fn)) {
      // `new F(a)` -> `F(a)`; `new F` (no parentheses) is a call with no arguments.
      const callee = n.callee as AnyNode;
      cuts.push(n.end === callee.end ? [n.start, n.end, name + '()'] : [n.start, callee.end, name]);
    } else if (fn.type === 'FunctionExpression') unconverted.push(name); // terser leaves declarations as they are
  }
  cuts.sort((x, y) => y[0] - x[0]);
  let out = code;
  for (const [from, to, s] of cuts) out = out.slice(0, from) + s + out.slice(to);
  return { code: out, dropped: cuts.length, unconverted: unconverted };
}

/** A character that continues a name: a literal next to one needs a space once it is a name. */
const WORD = /^[A-Za-z0-9_$]$/;

/**
 * Source whose wrapping function (the IIFE of the bundle) declares a local for each string
 * literal repeated often enough that a two-letter name pays for the declaration (error codes such
 * as "MODEM_MQTT_CONNECT", state names such as "reconnecting", AT commands), and uses it: terser
 * then gives the locals short names. Property keys, directives and code outside the wrapping
 * function (banner, footer) keep their literals. The aliases are names that occur nowhere in the
 * source, so no scope shadows them. Strings are values in JavaScript: a local holding one is the
 * same string everywhere it is compared, switched on or concatenated.
 */
export function aliasStrings(code: string): { code: string; aliased: number } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
  const names: { [n: string]: true } = {};
  const refs: { [s: string]: AnyNode[] } = {};
  let iife: AnyNode | undefined;
  walkWithParent(ast, undefined, (n, parent) => {
    if (n.type === 'Identifier') names[n.name as string] = true;
    else if (n.type === 'Literal' && typeof n.value === 'string' && parent
      && !((parent.type === 'Property' || parent.type === 'MethodDefinition') && parent.key === n && !parent.computed)
      && !(parent.type === 'ExpressionStatement' && typeof parent.directive === 'string')) {
      const s = n.value;
      (Object.prototype.hasOwnProperty.call(refs, s) ? refs[s] as AnyNode[] : (refs[s] = [])).push(n);
    } else if (!iife && n.type === 'CallExpression' && ((n.callee as AnyNode).type === 'ArrowFunctionExpression' || (n.callee as AnyNode).type === 'FunctionExpression')) {
      iife = n.callee as AnyNode;
    }
  });
  const body = iife && (iife.body as AnyNode);
  if (!body || body.type !== 'BlockStatement') return { code: code, aliased: 0 };
  const inside = (n: AnyNode): boolean => n.start > body.start && n.end < body.end;
  let next = 0;
  const fresh = (): string => {
    for (;;) {
      const s = '$str' + next++;
      if (!names[s]) return s;
    }
  };
  const decl: string[] = [];
  const cuts: Array<[number, number, string]> = [];
  for (const s of Object.keys(refs).sort()) {
    const list = (refs[s] as AnyNode[]).filter(inside);
    if (list.length === 0) continue;
    const lit = code.slice((list[0] as AnyNode).start, (list[0] as AnyNode).end);
    // Each use saves the literal less a two-letter name; the declaration costs `,xx=` and the literal.
    if (list.length * (lit.length - 2) <= lit.length + 4) continue;
    const a = fresh();
    decl.push(a + '=' + lit);
    // A literal needs no space around it, a name does: `case"ready":` must not become the
    // label `case$str3:`, nor `"a"in o` the name `$str0in`.
    for (const r of list) cuts.push([r.start, r.end, (WORD.test(code.charAt(r.start - 1)) ? ' ' : '') + a + (WORD.test(code.charAt(r.end)) ? ' ' : '')]);
  }
  if (decl.length === 0) return { code: code, aliased: 0 };
  cuts.sort((x, y) => y[0] - x[0]);
  let out = code;
  for (const [from, to, s] of cuts) out = out.slice(0, from) + s + out.slice(to);
  const at = body.start + 1;
  out = out.slice(0, at) + 'let ' + decl.join(',') + ';' + out.slice(at);
  return { code: out, aliased: cuts.length };
}

/** A value whose evaluation has no effect, so its property can go: a name, a literal, a function, `void 0`. */
function inert(n: AnyNode): boolean {
  return n.type === 'Identifier' || n.type === 'Literal' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression'
    || (n.type === 'UnaryExpression' && n.operator === 'void' && (n.argument as AnyNode).type === 'Literal')
    || (n.type === 'TemplateLiteral' && (n.expressions as AnyNode[]).length === 0);
}

/**
 * Source without the properties of object literals that nothing reads: a key among `internal`
 * (the names esbuild shortened, so the firmware and the wire never see them) that no member
 * access `.key` reads, and that occurs as no string, is an option or method the lean build no
 * longer uses (a `reset()` only the Node SDK calls, a trace slot, a field only FULL code reads).
 * A read inside a property of the same name does not count (the AT engine's `expectBytes` calls
 * the framer's: if nobody calls the engine's, neither runs). Only inert values are dropped (a
 * name, literal, function, `void 0`); internal records are never enumerated (Object.keys in the
 * bundle walks wire messages and tables keyed by data), so the objects behave the same for every
 * read the bundle can make. Repeated until nothing changes.
 */
export function dropDeadProps(code: string, internal: string[]): { code: string; dropped: number } {
  const isInternal: { [n: string]: true } = {};
  for (const n of internal) isInternal[n] = true;
  let out = code;
  let dropped = 0;
  for (;;) {
    const ast = parse(out, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
    const read: { [n: string]: true } = {};
    const props: Array<{ p: AnyNode; obj: AnyNode }> = [];
    // `inside`: the keys of the properties whose values enclose the node.
    const visit = (n: AnyNode, inside: string[]): void => {
      if (n.type === 'MemberExpression' && !n.computed) {
        const name = (n.property as AnyNode).name as string;
        if (inside.indexOf(name) < 0) read[name] = true;
      } else if (n.type === 'Literal' && typeof n.value === 'string') read[n.value] = true;
      else if (n.type === 'ObjectExpression') {
        for (const p of n.properties as AnyNode[]) {
          const k = p.key as AnyNode | undefined;
          if (p.type === 'Property' && !p.computed && p.kind === 'init' && k && k.type === 'Identifier' && isInternal[k.name as string]) props.push({ p: p, obj: n });
        }
      }
      // Only a function's body waits for a call; any other value runs when the object is made.
      const v = n.type === 'Property' ? n.value as AnyNode : undefined;
      const own = v && (v.type === 'FunctionExpression' || v.type === 'ArrowFunctionExpression') && !n.computed && (n.key as AnyNode).type === 'Identifier'
        ? inside.concat([(n.key as AnyNode).name as string]) : inside;
      for (const k of Object.keys(n)) {
        const v = n[k];
        if (Array.isArray(v)) for (const x of v) { if (isNode(x)) visit(x, own); }
        else if (isNode(v)) visit(v, own);
      }
    };
    visit(ast, []);
    const cuts: Array<[number, number]> = [];
    const seen = new Set<AnyNode>();
    for (const { p, obj } of props) {
      const name = (p.key as AnyNode).name as string;
      if (read[name] || !inert(p.value as AnyNode) || seen.has(obj)) continue;
      seen.add(obj); // one property per object literal and round: the commas stay simple
      const list = obj.properties as AnyNode[];
      const i = list.indexOf(p);
      const next = list[i + 1];
      const prev = list[i - 1];
      cuts.push(next ? [p.start, next.start] : prev ? [prev.end, p.end] : [p.start, p.end]);
    }
    if (cuts.length === 0) return { code: out, dropped: dropped };
    // No cut encloses another: a property inside a dropped one's value goes in a later round.
    cuts.sort((x, y) => y[0] - x[0]);
    const kept: Array<[number, number]> = [];
    for (const c of cuts) if (!kept.some((k) => c[0] < k[1] && k[0] < c[1])) kept.push(c);
    for (const [from, to] of kept) out = out.slice(0, from) + out.slice(to);
    dropped += kept.length;
  }
}

/**
 * Source whose wrapping function (the IIFE of the bundle) makes one resolved promise,
 * `Promise.resolve()`, and uses it wherever the code makes a fresh one (a chain's start, "nothing
 * to wait for"). A settled promise never changes and the bundle never compares promises, so one
 * shared instance behaves like many; about 10 bytes per use. The alias is a name that occurs
 * nowhere in the source; nothing is done when a scope declares its own `Promise`.
 */
export function shareResolved(code: string): { code: string; shared: number } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
  const names: { [n: string]: true } = {};
  const uses: AnyNode[] = [];
  let iife: AnyNode | undefined;
  walk(ast, (n) => {
    if (n.type === 'Identifier') names[n.name as string] = true;
    else if (n.type === 'CallExpression') {
      const c = n.callee as AnyNode;
      const args = n.arguments as AnyNode[];
      const empty = args.length === 0 || (args.length === 1 && (args[0] as AnyNode).type === 'UnaryExpression' && (args[0] as AnyNode).operator === 'void'
        && ((args[0] as AnyNode).argument as AnyNode).type === 'Literal');
      if (c.type === 'MemberExpression' && !c.computed && (c.object as AnyNode).type === 'Identifier' && (c.object as AnyNode).name === 'Promise'
        && (c.property as AnyNode).name === 'resolve' && empty) uses.push(n);
      if (!iife && (c.type === 'ArrowFunctionExpression' || c.type === 'FunctionExpression')) iife = c;
    }
  });
  const body = iife && (iife.body as AnyNode);
  if (!body || body.type !== 'BlockStatement' || declaredNames(ast)['Promise']) return { code: code, shared: 0 };
  const inside = uses.filter((n) => n.start > body.start && n.end < body.end);
  if (inside.length < 2) return { code: code, shared: 0 };
  let a = '$resolved';
  for (let i = 0; names[a]; i++) a = '$resolved' + i;
  let out = code;
  for (const n of inside.sort((x, y) => y.start - x.start)) out = out.slice(0, n.start) + a + out.slice(n.end);
  const at = body.start + 1;
  out = out.slice(0, at) + 'const ' + a + '=Promise.resolve();' + out.slice(at);
  return { code: out, shared: inside.length };
}
