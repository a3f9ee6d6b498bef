// Build of the Espruino bundles from the same TypeScript sources as the Node SDK (run: `npm run
// build:espruino -w @simedge/device-sdk`, or `npx tsx` this file): dist/espruino/simedge.min.js
// (entry.ts: Quectel QMT driver) and dist/espruino/simedge-iotsafe.min.js (entry-iotsafe.ts: the
// same plus the IoT SAFE client, built with IOTSAFE on), so a firmware that needs no SIM proofs
// does not pay for them in RAM (about 3.3 KB). size.txt lists both.
//
// A firmware's own bundle (buildFirmwareBundle, `simedge espruino build`): the drivers of its
// modems only (ESPRUINO_MODEMS), IoT SAFE if it signs with the SIM, and without the data budget
// or roaming by home PLMN if it does not use them (BundleOptions), from a generated entry like
// entry.ts. A bundle refuses the options of what it was built without (TypeError from start()).
//
// - esbuild bundles the entry to one minified IIFE; target es2015 lowers what
//   Espruino lacks and esbuild can lower (`**`, `?.`, `??=`), and class fields become constructor
//   assignments (useDefineForClassFields false) instead of defineProperty helpers.
// - wire/codes.ts is swapped for core/errors.ts (STYLE #3, platform chosen at build time): same
//   SimedgeError API without `class extends Error` (which Espruino cannot run) or the message table.
// - A banner declares `var SimEdge`; a footer copies it to `exports` when the code runs as a module.
// - Size (every byte of code lives in RAM on Espruino; the issue's budget is 12 KB):
//   * core/flags.ts is swapped for core/flags-lean.ts: traces, free-text error detail, and
//     features and options the firmware API cannot reach are compiled out (the list is in
//     docs/firmware-guide.md §2); its feature switches (IOTSAFE, BUDGET, HOMEPLMN, RAWREAD) are set
//     from the BundleOptions (leanFlags);
//   * internal property names are shortened (esbuild mangleProps); the rule, in
//     scripts/espruino-mangle.ts: every name except those that can cross the bundle's boundary
//     (wire messages, the firmware's options, callbacks, transport and serial port, the errors,
//     built-ins) or be looked up by a string;
//   * pass 1 bundles as ESM, where esbuild inlines those constants and drops the dead branches;
//     then the human-readable text of errors is dropped, the stable code stays, and so are class
//     methods nothing can call any more (scripts/espruino-lean.ts); pass 2 bundles that module
//     again, so tree shaking removes what only the dead code used, and makes it the IIFE;
//   * pass 3: dead methods again, then properties of object literals nothing reads (an internal,
//     shortened key only: options and methods the lean build no longer uses); `new` dropped
//     where it changes nothing (closure factories, the portable SimedgeError); one shared
//     `Promise.resolve()`; local aliases for often used globals, `void 0`, `this` and repeated
//     string literals (error codes, states, AT commands); then terser (it compresses harder than esbuild), allowed to turn functions
//     into arrows because no `new` of a function expression is left (the build checks).
// - The output must pass the Espruino subset check (scripts/espruino-subset.ts).
// - examples/espruino-thermometer builds its own bundle (another modem driver) with bundleEspruino().
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { minify } from 'terser';
import { aliasGlobals, aliasStrings, aliasThis, callFactories, dropDeadMethods, dropDeadProps, dropErrorDetails, shareResolved } from './espruino-lean.js';
import { internalNames, mangleRegExp } from './espruino-mangle.js';
import { checkEspruinoSubset, type Violation } from './espruino-subset.js';

export const SDK_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ESPRUINO_ENTRY = join(SDK_DIR, 'src/adapter/espruino/entry.ts');
/** entry.ts plus the IoT SAFE client (core/iotsafe.ts). */
export const ESPRUINO_IOTSAFE_ENTRY = join(SDK_DIR, 'src/adapter/espruino/entry-iotsafe.ts');
export const ESPRUINO_OUT = join(SDK_DIR, 'dist/espruino/simedge.min.js');
/** The same bundle with the IoT SAFE client (SimEdge.start's `iotSafe` option). */
export const ESPRUINO_IOTSAFE_OUT = join(SDK_DIR, 'dist/espruino/simedge-iotsafe.min.js');
/** The issue's budget for the minified bundle: every byte of code lives in RAM on Espruino. */
export const SIZE_BUDGET = 12288;

export interface EspruinoBuild {
  code: string;
  bytes: number;
  /** Bytes each source file contributes after the first pass (before tree shaking again), largest first. */
  modules: Array<{ path: string; bytes: number }>;
  violations: Violation[];
}

export interface BundleOptions {
  /**
   * Keep the provisioning client's IoT SAFE proof path (IOTSAFE, core/flags.ts; default off). The
   * entry hands the client to simEdge() (entry-iotsafe.ts); SimEdge.start takes the `iotSafe`
   * option only when both are there, and refuses it otherwise.
   */
  iotSafe?: boolean;
  /** The data budget (BUDGET; default on): `budgetBytesPerDay`, `budgetState`, `budget()`. */
  budget?: boolean;
  /** Roaming by home PLMN (HOMEPLMN; default on): SimEdge.start's `homePlmn`. */
  homePlmn?: boolean;
  /** Raw binary blocks in the AT engine (RAWREAD; default off): the CMQTT and UMQTT drivers need them. */
  rawRead?: boolean;
}

/**
 * The lean flags module of a build: core/flags-lean.ts with its feature switches set from the
 * options. Throws when core/flags.ts has a switch flags-lean.ts does not define, or a feature
 * switch is missing there (the two files must not drift apart).
 */
export function leanFlags(opts: BundleOptions = {}): string {
  const full = readFileSync(join(SDK_DIR, 'src/core/flags.ts'), 'utf8');
  let lean = readFileSync(join(SDK_DIR, 'src/core/flags-lean.ts'), 'utf8');
  const names = (t: string): string[] => Array.from(t.matchAll(/^export const ([A-Z_]+)\b/gm), (m) => m[1] as string).sort();
  if (names(full).join() !== names(lean).join()) throw new Error(`core/flags-lean.ts defines ${names(lean).join(', ')}, core/flags.ts ${names(full).join(', ')}`);
  const set: Array<[string, boolean]> = [['IOTSAFE', opts.iotSafe === true], ['BUDGET', opts.budget !== false], ['HOMEPLMN', opts.homePlmn !== false], ['RAWREAD', opts.rawRead === true]];
  for (const [name, on] of set) {
    const re = new RegExp(`^(export const ${name}: [^=]+= )(true|false);$`, 'm');
    if (!re.test(lean)) throw new Error(`core/flags-lean.ts has no feature switch ${name}`);
    lean = lean.replace(re, `$1${on};`);
  }
  return lean;
}

/** wire/codes.ts → core/errors.ts, core/flags.ts → the lean flags of this build (STYLE #3). */
function portableErrors(opts: BundleOptions): Plugin {
  return {
    name: 'portable-errors',
    setup(b) {
      b.onResolve({ filter: /(^|\/)wire\/codes\.js$/ }, () => ({ path: join(SDK_DIR, 'src/core/errors.ts') }));
      const full = join(SDK_DIR, 'src/core/flags.js');
      const lean = join(SDK_DIR, 'src/core/flags-lean.ts');
      b.onResolve({ filter: /(^|\/)flags\.js$/ }, (a) => (join(a.resolveDir, a.path) === full ? { path: lean } : undefined));
      b.onLoad({ filter: /(^|\/)flags-lean\.ts$/ }, () => ({ contents: leanFlags(opts), loader: 'ts' }));
    },
  };
}

/**
 * Bundle an Espruino entry (deterministic for the same sources and esbuild version). `srcDirs`
 * are scanned for private names besides the SDK's src/ (e.g. an example's own entry folder).
 */
export async function bundleEspruino(entry: string, srcDirs: string[] = [], opts: BundleOptions = {}): Promise<EspruinoBuild> {
  const names = internalNames([join(SDK_DIR, 'src/core'), join(SDK_DIR, 'src/adapter/espruino'), dirname(entry)].concat(srcDirs), join(SDK_DIR, 'src/wire'));
  // Pass 1: bundle as ESM. Cross-module constants (core/flags-lean.ts) are inlined and the dead
  // branches dropped, but what only those branches used is still linked in.
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2015',
    platform: 'neutral',
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [portableErrors(opts)],
    mangleProps: mangleRegExp(names),
    mangleCache: {},
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  });
  const out = r.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  // Pass 2: error text dropped, then bundled again from that one module: tree shaking now sees
  // the functions nothing calls any more; minified into the IIFE the firmware loads.
  const lean = await build({
    stdin: { contents: dropDeadMethods(dropErrorDetails(out.text).code).code, loader: 'js', sourcefile: 'pass1.js' },
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2015',
    platform: 'neutral',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    banner: { js: 'var SimEdge;' },
    footer: { js: 'if(typeof exports=="object"&&exports)exports.SimEdge=SimEdge;' },
  });
  const final = lean.outputFiles[0];
  if (!final) throw new Error('esbuild produced no output');
  // Pass 3: often used globals and `void 0` get local aliases (scripts/espruino-lean.ts), then
  // terser compresses harder than esbuild (it joins statements, inlines single-use functions and
  // variables, drops unreachable code, gives the aliases one-letter names). Top-level names stay
  // (`var SimEdge`); pure_getters holds because the bundle's getters only read a field.
  // unsafe_arrows turns every `function` without `this` into an arrow, which cannot be
  // constructed: callFactories first calls the core's closure factories without `new`, and the
  // build stops if any other `new` is left that an arrow could break.
  // The short names esbuild gave: only these keys are internal, so only they may be dropped.
  const short = Object.values(r.mangleCache || {}).filter((v): v is string => typeof v === 'string');
  const calls = callFactories(dropDeadProps(dropDeadMethods(final.text).code, short).code);
  if (calls.unconverted.length > 0) throw new Error(`new of a function terser may make an arrow: ${calls.unconverted.join(', ')}`);
  const t = await minify(aliasStrings(aliasThis(aliasGlobals(shareResolved(calls.code).code).code).code).code, {
    ecma: 2015, module: false, toplevel: false,
    compress: { passes: 3, pure_getters: true, keep_fargs: false, unsafe_arrows: true },
    mangle: true, format: { ascii_only: false },
  });
  if (t.code === undefined) throw new Error('terser produced no output');
  const code = t.code;
  const meta = Object.values(r.metafile.outputs)[0];
  const modules = meta
    ? Object.keys(meta.inputs).map((p) => ({ path: relative(SDK_DIR, join(process.cwd(), p)), bytes: (meta.inputs[p] as { bytesInOutput: number }).bytesInOutput }))
    : [];
  modules.sort((a, b) => b.bytes - a.bytes);
  return { code, bytes: Buffer.byteLength(code), modules, violations: checkEspruinoSubset(code) };
}

/**
 * The modem-MQTT drivers a firmware's bundle can carry, by modem family: the driver (under
 * src/core/transport/), the `dialect` names SimEdge.start accepts for it, and the driver options.
 */
export const ESPRUINO_MODEMS: { [family: string]: { driver: string; file: string; dialects: string[]; opts?: string; rawRead?: boolean } } = {
  quectel: { driver: 'QmtDriver', file: 'qmt', dialects: ['quectel', 'bg95', 'bg96'] },
  sim7600: { driver: 'CmqttDriver', file: 'cmqtt', dialects: ['sim7600'], rawRead: true },
  sim7080: { driver: 'SmDriver', file: 'sm', dialects: ['sim7080'] },
  sara: { driver: 'UmqttDriver', file: 'umqtt', dialects: ['sara', 'sara-r5'], rawRead: true },
  'sara-r4': { driver: 'UmqttDriver', file: 'umqtt', dialects: ['sara-r4'], opts: '{ r410m: true }', rawRead: true },
};

/**
 * The entry of a firmware's bundle (like src/adapter/espruino/entry.ts): the drivers of these
 * modem families (ESPRUINO_MODEMS; none: a firmware `transport` only, the `generic` dialect) and,
 * with `iotSafe`, the IoT SAFE client. Imports are absolute paths into the SDK's sources.
 */
export function firmwareEntry(modems: string[], iotSafe = false): string {
  const src = (p: string): string => JSON.stringify(join(SDK_DIR, 'src', p));
  const lines = ['// Generated by scripts/build-espruino.ts firmwareEntry() for: ' + (modems.join(', ') || 'no modem driver') + (iotSafe ? ', IoT SAFE' : '')];
  const entries: string[] = [];
  const imported: string[] = [];
  // A family named twice is carried once (its factory is a `const`).
  for (const m of modems.filter((x, i) => modems.indexOf(x) === i)) {
    const d = ESPRUINO_MODEMS[m];
    if (!d) throw new TypeError(`unknown modem family ${m} (known: ${Object.keys(ESPRUINO_MODEMS).join(', ')})`);
    if (imported.indexOf(d.driver) < 0) {
      imported.push(d.driver);
      lines.push(`import { ${d.driver} } from ${src(`core/transport/${d.file}.js`)};`);
    }
    const v = m.replace(/[^a-z0-9]/g, '_');
    lines.push(`const ${v}: DriverFactory = (at, p) => new ${d.driver}(at, p${d.opts ? ', ' + d.opts : ''});`);
    for (const n of d.dialects) entries.push(`${JSON.stringify(n)}: ${v}`);
  }
  if (iotSafe) lines.push(`import { iotSafeProver } from ${src('core/iotsafe.js')};`);
  lines.push(`import { espruinoEnv, espruinoPlatform } from ${src('adapter/espruino/platform.js')};`);
  lines.push(`import { simEdge, type DriverFactory, type SimEdge as Handle, type SimEdgeOptions } from ${src('adapter/espruino/simedge.js')};`);
  lines.push('declare let SimEdge: { start: (o: SimEdgeOptions) => Handle; version: string };');
  lines.push(`SimEdge = { start: simEdge({ ${entries.join(', ')} }, espruinoPlatform(espruinoEnv())${iotSafe ? ', iotSafeProver' : ''}), version: '0.1.0' };`);
  return lines.join('\n') + '\n';
}

/**
 * A firmware's own bundle: the drivers of `modems` (ESPRUINO_MODEMS) and the features of `opts`;
 * raw AT reads (RAWREAD) whenever a driver needs them.
 */
export async function buildFirmwareBundle(modems: string[], opts: BundleOptions = {}): Promise<EspruinoBuild> {
  const code = firmwareEntry(modems, opts.iotSafe === true);
  const rawRead = opts.rawRead === true || modems.some((m) => ESPRUINO_MODEMS[m]?.rawRead === true);
  const dir = mkdtempSync(join(tmpdir(), 'simedge-entry-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, code);
    return await bundleEspruino(entry, [], { ...opts, rawRead: rawRead });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Build the SDK's bundle in memory. */
export function buildEspruino(): Promise<EspruinoBuild> {
  return bundleEspruino(ESPRUINO_ENTRY);
}

/** Build the SDK's bundle with the IoT SAFE client in memory. */
export function buildEspruinoIotSafe(): Promise<EspruinoBuild> {
  return bundleEspruino(ESPRUINO_IOTSAFE_ENTRY, [], { iotSafe: true });
}

/** The size report of one bundle (`name` defaults to simedge.min.js). */
export function sizeReport(b: EspruinoBuild, name = 'simedge.min.js'): string {
  const lines = [`${name}: ${b.bytes} bytes (budget ${SIZE_BUDGET}: ${b.bytes <= SIZE_BUDGET ? 'within' : `OVER by ${b.bytes - SIZE_BUDGET}`})`,
    'bytes per source file after the first pass, before the lean build\'s dead code is shaken out and terser runs (so they add up to more):'];
  for (const m of b.modules) lines.push(`  ${String(m.bytes).padStart(6)}  ${m.path}`);
  return lines.join('\n') + '\n';
}

async function main(): Promise<number> {
  const outs: Array<[string, EspruinoBuild]> = [[ESPRUINO_OUT, await buildEspruino()], [ESPRUINO_IOTSAFE_OUT, await buildEspruinoIotSafe()]];
  let bad = false;
  for (const [out, b] of outs) {
    for (const v of b.violations) process.stderr.write(`espruino subset: ${basename(out)}: ${v.rule} at ${v.line}:${v.column}\n`);
    bad = bad || b.violations.length > 0;
  }
  if (bad) return 1;
  mkdirSync(dirname(ESPRUINO_OUT), { recursive: true });
  for (const [out, b] of outs) writeFileSync(out, b.code);
  const report = outs.map(([out, b]) => sizeReport(b, basename(out))).join('\n');
  writeFileSync(join(dirname(ESPRUINO_OUT), 'size.txt'), report);
  process.stdout.write(report);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`build-espruino: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  });
}
