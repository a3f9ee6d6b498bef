// Which property names the Espruino build may shorten (esbuild `mangleProps`). Every byte of code
// lives in RAM on Espruino, and long private member names (`this.requests`, `rejectWaiters`) are
// a large share of the minified bundle.
//
// The rule: a name is shortened only when it is declared `private` (or `#`-less private by the
// `_` prefix convention) somewhere in the SDK sources AND is never a public name anywhere: not a
// member of an interface or type literal, not a public class member, not an object literal key,
// not a property of a built-in (Array, Uint8Array, Promise, console, ...). Wire field names and
// the firmware API are all declared in interfaces (wire/messages.ts, SimEdgeOptions), so they are
// never shortened. esbuild renames a name the same way everywhere in the bundle, so a private
// name that another class uses privately too stays consistent. Quoted keys are never touched.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

function tsFiles(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Property names of the built-ins the bundle (and the firmware) touch. */
function builtinNames(): Set<string> {
  const s = new Set<string>();
  const objs: unknown[] = [Object, Object.prototype, Array, Array.prototype, String, String.prototype, Number, Number.prototype,
    Function.prototype, Uint8Array, Uint8Array.prototype, Object.getPrototypeOf(Uint8Array.prototype), DataView.prototype, ArrayBuffer.prototype,
    Promise, Promise.prototype, Error, Error.prototype, RegExp.prototype, Math, JSON, console, Date, Date.prototype];
  for (const o of objs) for (const n of Object.getOwnPropertyNames(o)) s.add(n);
  // Espruino's own objects (reference/espruino.md): Serial1, E, Storage, crypto; and the module shim.
  for (const n of ['setup', 'on', 'write', 'removeListener', 'removeAllListeners', 'emit', 'toUint8Array', 'toString', 'SHA256', 'read', 'exports', 'SimEdge', 'start', 'version']) s.add(n);
  return s;
}

function nameOf(n: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!n) return undefined;
  if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) return n.text;
  if (ts.isStringLiteral(n) || ts.isNumericLiteral(n)) return n.text;
  return undefined;
}

function isPrivate(n: ts.Node): boolean {
  const mods = ts.canHaveModifiers(n) ? ts.getModifiers(n) : undefined;
  return !!mods && mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
}

/** Names to shorten, sorted (the build must be deterministic). */
export function mangleableNames(srcDirs: string[]): string[] {
  const priv = new Set<string>();
  const pub = builtinNames();
  for (const dir of srcDirs) {
    for (const f of tsFiles(dir, [])) {
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      const visit = (n: ts.Node): void => {
        if (ts.isPropertyDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n) || (ts.isParameter(n) && ts.isConstructorDeclaration(n.parent) && ts.canHaveModifiers(n) && !!ts.getModifiers(n)?.length)) {
          const name = nameOf(n.name);
          if (name !== undefined) {
            if (ts.isParameter(n) ? isPrivate(n) : isPrivate(n) && ts.isClassLike(n.parent)) priv.add(name);
            else if (ts.isClassLike(n.parent) || ts.isParameter(n) || ts.isObjectLiteralExpression(n.parent)) pub.add(name);
          }
        } else if (ts.isPropertySignature(n) || ts.isMethodSignature(n) || ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n)) {
          const name = nameOf(n.name);
          if (name !== undefined) pub.add(name);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
  }
  return [...priv].filter((n) => !pub.has(n)).sort();
}

/** esbuild `mangleProps` for these names (anchored alternation). */
export function mangleRegExp(names: string[]): RegExp {
  return names.length === 0 ? /^$/ : new RegExp('^(' + names.join('|') + ')$');
}
