// Parser-based check that JavaScript uses only the language subset the Espruino interpreter runs
// (reference/espruino.md, "does NOT work"). Parses with acorn (ecmaVersion latest, so newer syntax
// is seen, not refused by the parser) and walks the AST; every construct on the list is reported
// with its line. Run over the Espruino bundle by the tests and by the build.
import { parse, type Node } from 'acorn';

export interface Violation {
  rule: string;
  line: number;
  column: number;
}

/** Globals Espruino lacks (reference/espruino.md) and the fallbacks bundlers emit with them. */
const BANNED_GLOBALS = ['Symbol', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'BigInt', 'TextEncoder', 'TextDecoder', 'Proxy', 'Reflect'];
/** Static members Espruino lacks, as `Object.member`. */
const BANNED_MEMBERS = ['Array.from', 'Number.isFinite', 'Math.imul', 'Promise.race', 'Promise.allSettled', 'Promise.any', 'Object.getOwnPropertySymbols'];
/** Method names that are missing on every Espruino object that matters (Promise.prototype.finally). */
const BANNED_METHODS = ['finally'];

type AnyNode = Node & { [k: string]: unknown };

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function children(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const k of Object.keys(n)) {
    if (k === 'loc') continue;
    const v = n[k];
    if (Array.isArray(v)) for (const x of v) { if (isNode(x)) out.push(x); }
    else if (isNode(v)) out.push(v);
  }
  return out;
}

const FUNCTIONS = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'];

/** Identifiers referenced in n (not property names), optionally not descending into functions. */
function references(n: AnyNode, intoFunctions: boolean, out: AnyNode[]): AnyNode[] {
  if (n.type === 'Identifier') {
    out.push(n);
    return out;
  }
  if (!intoFunctions && FUNCTIONS.indexOf(n.type) >= 0) return out;
  for (const c of children(n)) {
    if (n.type === 'MemberExpression' && c === n.property && !n.computed) continue;
    if ((n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') && c === n.key && !n.computed) continue;
    references(c, intoFunctions, out);
  }
  return out;
}

function containsFunction(n: AnyNode): AnyNode[] {
  const found: AnyNode[] = [];
  const walk = (x: AnyNode): void => {
    if (FUNCTIONS.indexOf(x.type) >= 0) found.push(x);
    else for (const c of children(x)) walk(c);
  };
  walk(n);
  return found;
}

/** Regexp source features Espruino's engine lacks: named groups and \b (outside a class). */
function regexpRules(pattern: string): string[] {
  const out: string[] = [];
  if (/\(\?<[A-Za-z_$]/.test(pattern) || /\\k</.test(pattern)) out.push('regexp named group');
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (!inClass && (pattern[i + 1] === 'b' || pattern[i + 1] === 'B')) out.push('regexp \\b');
      i++;
    } else if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
  }
  return out;
}

/** Check source text; returns every violation found (empty when it fits the subset). */
export function checkEspruinoSubset(code: string): Violation[] {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowReturnOutsideFunction: true }) as unknown as AnyNode;
  const out: Violation[] = [];
  const add = (rule: string, n: AnyNode): void => {
    const loc = n.loc as { start: { line: number; column: number } } | undefined;
    out.push({ rule: rule, line: loc ? loc.start.line : 0, column: loc ? loc.start.column : 0 });
  };

  const hoisting = (body: AnyNode[]): void => {
    // No function hoisting: a function declaration is only known once its statement ran.
    for (let d = 0; d < body.length; d++) {
      const decl = body[d] as AnyNode;
      if (decl.type !== 'FunctionDeclaration' || !decl.id) continue;
      const name = (decl.id as AnyNode).name;
      for (let s = 0; s < d; s++) {
        for (const r of references(body[s] as AnyNode, false, [])) if (r.name === name) add('function used before its declaration (no hoisting)', r);
      }
    }
  };

  const visit = (n: AnyNode): void => {
    switch (n.type) {
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        if (n.async) add('async function', n);
        if (n.generator) add('generator', n);
        break;
      case 'AwaitExpression': add('await', n); break;
      case 'YieldExpression': add('yield', n); break;
      case 'Literal':
        if (typeof n.bigint === 'string') add('BigInt literal', n);
        if (n.regex) for (const r of regexpRules((n.regex as { pattern: string }).pattern)) add(r, n);
        break;
      case 'AssignmentPattern': add('default value (parameter or destructuring)', n); break;
      case 'RestElement': add('rest element', n); break;
      case 'SpreadElement': add('spread', n); break;
      case 'ObjectPattern': case 'ArrayPattern': add('destructuring', n); break;
      case 'ChainExpression': add('optional chaining', n); break;
      case 'BinaryExpression': if (n.operator === '**') add('** operator', n); break;
      case 'AssignmentExpression':
        if (n.operator === '**=') add('** operator', n);
        if (n.operator === '??=' || n.operator === '||=' || n.operator === '&&=') add('logical assignment ' + String(n.operator), n);
        break;
      case 'LabeledStatement': add('labelled statement', n); break;
      case 'TaggedTemplateExpression': add('tagged template', n); break;
      case 'Property': case 'MethodDefinition':
        if (n.computed) add('computed key', n);
        break;
      case 'PropertyDefinition': add('class field', n); break;
      case 'StaticBlock': add('class static block', n); break;
      case 'PrivateIdentifier': add('private #name', n); break;
      case 'ClassDeclaration': case 'ClassExpression': {
        const sup = n.superClass as AnyNode | null;
        if (sup && sup.type === 'Identifier' && /Error$/.test(String(sup.name))) add('class extends Error', n);
        break;
      }
      case 'MetaProperty': add(String((n.meta as AnyNode).name) + '.' + String((n.property as AnyNode).name), n); break;
      case 'ImportExpression': case 'ImportDeclaration': case 'ExportNamedDeclaration': case 'ExportDefaultDeclaration': case 'ExportAllDeclaration':
        add('module syntax', n);
        break;
      case 'MemberExpression': {
        const obj = n.object as AnyNode;
        const prop = n.property as AnyNode;
        if (!n.computed && prop.type === 'Identifier') {
          if (obj.type === 'Identifier' && BANNED_MEMBERS.indexOf(obj.name + '.' + prop.name) >= 0) add(obj.name + '.' + prop.name, n);
          if (BANNED_METHODS.indexOf(String(prop.name)) >= 0) add('.' + String(prop.name) + '()', n);
          if (prop.name === 'slice' && obj.type === 'MemberExpression' && (obj.property as AnyNode).name === 'prototype') {
            const owner = obj.object as AnyNode;
            if (owner.type === 'Identifier' && (owner.name === 'Array' || owner.name === 'ArrayBuffer')) add(owner.name + '.prototype.slice', n);
          }
        }
        break;
      }
      case 'ForStatement': case 'ForInStatement': case 'ForOfStatement': {
        // `let` in a for header is not per-iteration on Espruino: closures see the last value.
        const init = (n.type === 'ForStatement' ? n.init : n.left) as AnyNode | null;
        if (init && init.type === 'VariableDeclaration' && (init.kind === 'let' || init.kind === 'const')) {
          const names = (init.declarations as AnyNode[]).map((d) => (d.id as AnyNode).name);
          for (const f of containsFunction(n.body as AnyNode)) {
            for (const r of references(f, true, [])) if (names.indexOf(r.name) >= 0) add('closure over a let of a for header', r);
          }
        }
        break;
      }
      default: break;
    }
    if (n.type === 'Program' || n.type === 'BlockStatement' || n.type === 'StaticBlock') hoisting(n.body as AnyNode[]);
    for (const c of children(n)) visit(c);
  };

  // Banned globals: identifiers in expression position only (property names are fine).
  for (const r of references(ast, true, [])) if (BANNED_GLOBALS.indexOf(String(r.name)) >= 0) add('no ' + String(r.name) + ' on Espruino', r);
  visit(ast);
  return out;
}
