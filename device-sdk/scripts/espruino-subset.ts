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
const BANNED_GLOBALS = ['Symbol', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'BigInt', 'TextEncoder', 'TextDecoder', 'Proxy', 'Reflect', 'RangeError', 'URIError', 'EvalError'];
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

/** Regexp source features Espruino's engine (src/jswrap_regexp.c) lacks. It matches one item
 *  at a time: a character, `.`, an escape (\d \D \s \S \w \W \f \n \r \t \v \xHH) or a class
 *  `[...]` (ranges, `^`), each optionally followed by `*` or `+`; `^`, `$`, plain capture groups
 *  (markers only: nothing may quantify a group) and `|` at the top level. Anything else - `?`,
 *  `{n,m}`, `(?...)`, quantified groups, `|` inside a group, \b, \B, \u, backreferences - is either
 *  refused or silently matched as literal characters there. */
function regexpRules(pattern: string): string[] {
  const out: string[] = [];
  const ESCAPES = 'dDsSwWfnrtvx';
  let depth = 0;
  let prev: 'start' | 'item' | 'group-end' | 'quantifier' | 'anchor' = 'start';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const e = pattern[i + 1] ?? '';
      if (e === 'b' || e === 'B') out.push('regexp \\b');
      else if (/[0-9]/.test(e)) out.push('regexp backreference or \\digit');
      else if (/[A-Za-z]/.test(e) && ESCAPES.indexOf(e) < 0) out.push(`regexp escape \\${e}`);
      i += e === 'x' ? 3 : 1;
      prev = 'item';
    } else if (ch === '[') {
      // A class: escapes inside are single characters; find its end.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++; // a literal ] first
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      prev = 'item';
    } else if (ch === '(') {
      if (pattern[i + 1] === '?') out.push(pattern[i + 2] === '<' && /[A-Za-z_$]/.test(pattern[i + 3] ?? '') ? 'regexp named group' : 'regexp (?...) group');
      depth++;
      prev = 'start';
    } else if (ch === ')') {
      depth--;
      prev = 'group-end';
    } else if (ch === '|') {
      if (depth > 0) out.push('regexp | inside a group');
      prev = 'start';
    } else if (ch === '*' || ch === '+') {
      if (prev === 'group-end') out.push('regexp quantified group');
      prev = 'quantifier';
    } else if (ch === '?') {
      out.push('regexp ? quantifier');
      prev = 'quantifier';
    } else if (ch === '{') {
      out.push('regexp {n,m} quantifier');
      prev = 'quantifier';
    } else if (ch === '^' || ch === '$') {
      prev = 'anchor';
    } else {
      prev = 'item';
    }
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
      case 'NewExpression':
        if ((n.callee as AnyNode).type === 'Identifier' && (n.callee as AnyNode).name === 'RegExp') add('new RegExp (only literals are checked)', n);
        break;
      case 'CallExpression': {
        // Promises: Espruino's `catch`, and `then` without a success handler, do not follow the
        // spec on a promise that is already settled (a `catch` on a resolved one never settles
        // before 2v22; `then(undefined, f)` is a TypeError there). Use then(ok, fail) with two functions.
        const callee = n.callee as AnyNode;
        if (callee.type === 'MemberExpression' && !callee.computed && (callee.property as AnyNode).type === 'Identifier') {
          const name = (callee.property as AnyNode).name;
          const args = n.arguments as AnyNode[];
          if (name === 'catch') add('promise .catch() (use .then(ok, fail))', n);
          const first = args[0];
          if (name === 'then' && args.length >= 2 && first && ((first.type === 'Identifier' && first.name === 'undefined')
            || (first.type === 'UnaryExpression' && first.operator === 'void') || (first.type === 'Literal' && first.value === null))) {
            add('promise .then() without a success handler', n);
          }
        }
        break;
      }
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

  // `continue` in a `switch` inside a loop: Espruino's switch drops the "in a loop" state, so it
  // is a SyntaxError there (espruino/Espruino#2339).
  const continues = (n: AnyNode, inSwitch: boolean): void => {
    if (n.type === 'ContinueStatement' && inSwitch) add('continue inside switch', n);
    let next = inSwitch;
    if (n.type === 'SwitchStatement') next = true;
    else if (['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement'].indexOf(n.type) >= 0 || FUNCTIONS.indexOf(n.type) >= 0) next = false;
    for (const c of children(n)) continues(c, next);
  };
  continues(ast, false);

  // Banned globals: identifiers in expression position only (property names are fine).
  for (const r of references(ast, true, [])) if (BANNED_GLOBALS.indexOf(String(r.name)) >= 0) add('no ' + String(r.name) + ' on Espruino', r);
  visit(ast);
  return out;
}
