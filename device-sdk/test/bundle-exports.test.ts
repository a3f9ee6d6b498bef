// STYLE #3: the exports map and the files agree. Every subpath (./wire, ./core, ./node, ./tools,
// ./espruino, ./moddable) lists `types` first and points at files that exist; the shipped Espruino
// bundles and the Moddable manifest are exported too; the portable entries load without Node-only
// modules.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SDK = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { type: string; exports: Record<string, string | Record<string, string>>; scripts: Record<string, string> };

describe('package.json exports [STYLE #3]', () => {
  it('has the platform subpaths, ESM, types first', () => {
    expect(pkg.type).toBe('module');
    for (const sub of ['./wire', './core', './node', './tools', './espruino', './moddable']) {
      const e = pkg.exports[sub];
      expect(typeof e, sub).toBe('object');
      expect(Object.keys(e as object)[0], sub).toBe('types');
      expect((e as Record<string, string>).types).toBe((e as Record<string, string>).default);
    }
  });

  it('points only at files that exist', () => {
    for (const [sub, e] of Object.entries(pkg.exports)) {
      for (const target of typeof e === 'string' ? [e] : Object.values(e)) {
        expect(existsSync(join(SDK, target)), `${sub} -> ${target}`).toBe(true);
      }
    }
    expect(pkg.exports['./espruino/simedge.min.js']).toBe('./dist/espruino/simedge.min.js');
    expect(pkg.exports['./espruino/simedge-iotsafe.min.js']).toBe('./dist/espruino/simedge-iotsafe.min.js');
    expect(pkg.scripts['build:espruino']).toBe('tsx scripts/build-espruino.ts');
  });

  it('loads the espruino and moddable entries without importing Node-only modules', async () => {
    const esp = await import('../src/adapter/espruino/index.js');
    const mod = await import('../src/adapter/moddable/index.js');
    expect(typeof esp.simEdge).toBe('function');
    expect(typeof mod.moddableSerial).toBe('function');
    for (const f of ['src/adapter/espruino', 'src/adapter/moddable', 'src/core/codec']) {
      const { readdirSync } = await import('node:fs');
      for (const file of readdirSync(join(SDK, f)).filter((x) => x.endsWith('.ts'))) {
        const src = readFileSync(join(SDK, f, file), 'utf8');
        expect(src, `${f}/${file}`).not.toMatch(/from '(node:|mqtt|serialport|cbor-x)|\bBuffer\b|process\./);
      }
    }
  });
});
