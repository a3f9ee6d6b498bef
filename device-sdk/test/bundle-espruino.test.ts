// The Espruino bundle: the committed dist/espruino/simedge.min.js equals a fresh build of the
// sources (so it never goes stale), it passes the parser-based subset check, and it does not grow.
// The budget is 12 KB minified (every byte of code lives in RAM on an Espruino board); the
// bundle is about 35 KB today, so that budget is NOT met yet (see the note on issue 3). Until the
// device core is slimmed, a ratchet keeps it from growing further; `npm run bench` reports the size.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEspruino, ESPRUINO_OUT, SIZE_BUDGET, sizeReport, type EspruinoBuild } from '../scripts/build-espruino.js';

/** Ratchet: lower it whenever the bundle shrinks; never raise it without saying why. */
const SIZE_CEILING = 36 * 1024;

let fresh: EspruinoBuild;
beforeAll(async () => {
  fresh = await buildEspruino();
});

describe('Espruino bundle', () => {
  it('is committed and equals a fresh build (run `npm run build:espruino -w @simedge/device-sdk`)', () => {
    expect(readFileSync(ESPRUINO_OUT, 'utf8')).toBe(fresh.code);
  });

  it('uses only the Espruino language subset [reference/espruino.md]', () => {
    expect(fresh.violations).toEqual([]);
  });

  it('carries the portable errors instead of wire/codes.ts, and no Node globals', () => {
    expect(fresh.modules.map((m) => m.path)).toContain('src/core/errors.ts');
    expect(fresh.modules.map((m) => m.path)).not.toContain('src/wire/codes.ts');
    expect(fresh.code).not.toMatch(/\b(Buffer|process|globalThis)\b|require\(/);
  });

  it(`does not grow past the current ceiling of ${SIZE_CEILING} bytes (target: ${SIZE_BUDGET})`, () => {
    expect(fresh.bytes, sizeReport(fresh)).toBeLessThanOrEqual(SIZE_CEILING);
  });
});
