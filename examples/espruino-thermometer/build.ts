// Build of simedge-sim7080.min.js, the Espruino bundle this example flashes: the SDK's bundle
// recipe (device-sdk/scripts/build-espruino.ts: esbuild, target es2015, wire/codes.ts swapped for
// the ES5 core/errors.ts, `var SimEdge` banner, exports footer) applied to bundle-entry.ts.
// Run: `npx tsx examples/espruino-thermometer/build.ts`. The output is committed; the example's
// test fails when it differs from a fresh build.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { checkEspruinoSubset, type Violation } from '../../device-sdk/scripts/espruino-subset.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SDK_SRC = join(HERE, '../../device-sdk/src');
export const THERMO_BUNDLE = join(HERE, 'simedge-sim7080.min.js');

const portableErrors: Plugin = {
  name: 'portable-errors',
  setup(b) {
    b.onResolve({ filter: /(^|\/)wire\/codes\.js$/ }, () => ({ path: join(SDK_SRC, 'core/errors.ts') }));
  },
};

export interface ThermoBuild {
  code: string;
  bytes: number;
  violations: Violation[];
}

/** Build in memory (deterministic for the same sources and esbuild version). */
export async function buildThermoBundle(): Promise<ThermoBuild> {
  const r = await build({
    entryPoints: [join(HERE, 'bundle-entry.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2015',
    platform: 'neutral',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    plugins: [portableErrors],
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    banner: { js: 'var SimEdge;' },
    footer: { js: 'if(typeof exports=="object"&&exports)exports.SimEdge=SimEdge;' },
  });
  const out = r.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  return { code: out.text, bytes: Buffer.byteLength(out.text), violations: checkEspruinoSubset(out.text) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildThermoBundle().then((b) => {
    for (const v of b.violations) process.stderr.write(`espruino subset: ${v.rule} at ${v.line}:${v.column}\n`);
    if (b.violations.length > 0) process.exit(1);
    writeFileSync(THERMO_BUNDLE, b.code);
    process.stdout.write(`simedge-sim7080.min.js: ${b.bytes} bytes\n`);
  }, (e: unknown) => {
    process.stderr.write(`build: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  });
}
