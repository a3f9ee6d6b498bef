// Which property names the Espruino build may shorten (esbuild `mangleProps`). Every byte of code
// lives in RAM on Espruino, and member names (`this.requests`, `platform.setTimer`, the fields of
// an AT job) are a large share of the minified bundle.
//
// The rule (internalNames): every property name of the device sources is shortened unless it can
// cross the bundle's boundary or be looked up by a string: built-ins and Espruino's objects, the
// wire messages (interfaces under src/wire), the members of the interfaces the firmware sees
// (BOUNDARY: its options, callbacks, transport and serial port, the attach info, the errors) and
// every name that occurs as a string literal. esbuild renames a name the same way everywhere in
// the bundle, so the bundle's own classes and records stay consistent; quoted keys are never
// touched.
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

/** esbuild `mangleProps` for these names (anchored alternation). */
export function mangleRegExp(names: string[]): RegExp {
  return names.length === 0 ? /^$/ : new RegExp('^(' + names.join('|') + ')$');
}

/**
 * Interfaces whose members cross the bundle's boundary: what the firmware passes in or reads back
 * (its options - with the IoT SAFE key options - callbacks, transport and serial port, Espruino's
 * `E`, the attach info and the errors it gets).
 * Wire messages (src/wire) cross it too, on the network.
 */
export const BOUNDARY = ['SimEdgeOptions', 'SimEdge', 'RetryInfo', 'ProvisionTransport', 'EspruinoSerial', 'EspruinoE', 'AttachInfo', 'PortableError', 'RejectedError', 'IotSafeOptions'];

/**
 * The wider rule of the Espruino bundle: every property name of the device sources is shortened
 * unless it can cross the bundle's boundary or be looked up by a string. Kept: built-ins and
 * Espruino's objects; every member of an interface or type literal under src/wire (wire messages
 * and trace events; wire/topics.ts is bundled whole and renamed consistently); the members of
 * the BOUNDARY interfaces; every name that occurs as a string literal anywhere in the sources
 * (a key looked up at run time, such as a dialect name in `DIALECTS[dialect]` or a wire field in
 * the codec's `o[k]`); and regular-expression match fields. The bundle's classes and internal
 * records (AT jobs, requests, platform, driver events) are private to it, so their names are not.
 */
export function internalNames(srcDirs: string[], wireDir: string): string[] {
  const keep = builtinNames();
  for (const n of ['index', 'input', 'groups']) keep.add(n);
  const cand = new Set<string>();
  const scan = (dir: string, onFile: (sf: ts.SourceFile) => void): void => {
    for (const f of tsFiles(dir, [])) onFile(ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  };
  const members = (n: ts.Node, add: (s: string) => void): void => {
    if (ts.isPropertySignature(n) || ts.isMethodSignature(n) || ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n)
      || ts.isPropertyDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n)) {
      const name = nameOf(n.name);
      if (name !== undefined) add(name);
    } else if (ts.isParameter(n) && ts.isConstructorDeclaration(n.parent) && ts.canHaveModifiers(n) && !!ts.getModifiers(n)?.length) {
      const name = nameOf(n.name);
      if (name !== undefined) add(name);
    } else if (ts.isPropertyAccessExpression(n)) add(n.name.text);
  };
  // Wire messages are interfaces and type literals; wire's own code (Node-only) is not bundled.
  scan(wireDir, (sf) => {
    const visit = (n: ts.Node): void => {
      if (ts.isPropertySignature(n) || ts.isMethodSignature(n)) {
        const name = nameOf(n.name);
        if (name !== undefined) keep.add(name);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  });
  for (const dir of srcDirs) {
    scan(dir, (sf) => {
      const visit = (n: ts.Node): void => {
        if ((ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) && BOUNDARY.indexOf(n.name.text) >= 0) {
          const inner = (m: ts.Node): void => {
            members(m, (s) => keep.add(s));
            ts.forEachChild(m, inner);
          };
          ts.forEachChild(n, inner);
        }
        if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) keep.add(n.text);
        members(n, (s) => cand.add(s));
        ts.forEachChild(n, visit);
      };
      visit(sf);
    });
  }
  return [...cand].filter((n) => !keep.has(n)).sort();
}
