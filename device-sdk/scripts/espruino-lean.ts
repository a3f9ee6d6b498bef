// Post-pass of the Espruino build: drops the human-readable detail text of SimedgeErrors from the
// minified bundle, keeping the stable code (STYLE #9: a device reports the code; an operator looks
// the message up in wire/codes.ts). Every byte of code lives in RAM on Espruino.
//
// The same holds for the message of argument errors, `new TypeError(text)` / `new RangeError(text)`
// (a firmware bug, found on the desk with the Node SDK, which keeps every message).
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

/** Source with error detail text and argument error messages removed, and how many were dropped. */
export function dropErrorDetails(code: string): { code: string; dropped: number } {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as AnyNode;
  const cuts: Array<[number, number]> = [];
  walk(ast, (n) => {
    if (n.type !== 'NewExpression' && n.type !== 'CallExpression') return;
    const args = n.arguments as AnyNode[];
    const callee = n.callee as AnyNode;
    if (n.type === 'NewExpression' && callee.type === 'Identifier' && (callee.name === 'TypeError' || callee.name === 'RangeError')) {
      const m = args[0];
      if (args.length === 1 && m && isText(m) && pure(m)) cuts.push([m.start, m.end]);
      return;
    }
    const [c, d] = args;
    if (args.length !== 2 || !c || !d || c.type !== 'Literal' || typeof c.value !== 'string') return;
    if (!Object.prototype.hasOwnProperty.call(CODES, c.value)) return;
    if (isText(d) && pure(d)) cuts.push([c.end, d.end]);
  });
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
