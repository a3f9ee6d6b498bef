// Build of simedge-sim7080.min.js, the Espruino bundle this example flashes: the SDK's bundle
// recipe (device-sdk/scripts/build-espruino.ts bundleEspruino: esbuild, target es2015, portable
// errors, the lean build of core/flags-lean.ts without the data budget and roaming by home PLMN
// (main.js uses neither), internal names shortened, error text and dead
// methods dropped, terser, `var SimEdge` banner, exports footer) applied to bundle-entry.ts.
// Run: `npx tsx examples/espruino-thermometer/build.ts`. The output is committed; the example's
// test fails when it differs from a fresh build.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleEspruino } from '../../device-sdk/scripts/build-espruino.js';
import type { Violation } from '../../device-sdk/scripts/espruino-subset.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const THERMO_BUNDLE = join(HERE, 'simedge-sim7080.min.js');

export interface ThermoBuild {
  code: string;
  bytes: number;
  violations: Violation[];
}

/** Build in memory (deterministic for the same sources and esbuild version). */
export async function buildThermoBundle(): Promise<ThermoBuild> {
  // main.js sets no data budget and judges roaming by +CEREG only: built without both (about
  // 2.4 KB of RAM less; SimEdge.start would refuse their options with a TypeError).
  const b = await bundleEspruino(join(HERE, 'bundle-entry.ts'), [], { budget: false, homePlmn: false });
  return { code: b.code, bytes: b.bytes, violations: b.violations };
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
