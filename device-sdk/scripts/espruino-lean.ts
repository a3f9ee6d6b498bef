// Post-pass of the Espruino build: drops the human-readable detail text of SimedgeErrors from the
// minified bundle, keeping the stable code (STYLE #9: a device reports the code; an operator looks
// the message up in wire/codes.ts). Every byte of code lives in RAM on Espruino.
//
// The same holds for the message of argument errors, `new TypeError(text)` / `new RangeError(text)`
// (a firmware bug, found on the desk with the Node SDK, which keeps every message).
//
// Rule: in `new E("CODE", detail)` where "CODE" is a code of wire/codes.ts, the detail argument is
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
    if (n.type !== 'NewExpression') return;
    const args = n.arguments as AnyNode[];
    const callee = n.callee as AnyNode;
    if (callee.type === 'Identifier' && (callee.name === 'TypeError' || callee.name === 'RangeError')) {
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
