// `simedge espruino build` (src/tools/cmd-espruino.ts), in-process through main() as the binary
// runs it, on a real temp dir: it writes the same bundle as buildFirmwareBundle for the same
// choices, reports its size against the 12 KB budget, and refuses bad input (unknown modem or
// feature, missing options, an existing file without --force) with a usage error or a stable code
// and without writing anything. What the bundles do on a modem: espruino-firmware-bundle.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFirmwareBundle, SIZE_BUDGET } from '../scripts/build-espruino.js';
import { main } from '../src/tools/index.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-espruino-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['espruino', 'build', ...args], { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, cwd: dir });
  return { code, stdout, stderr };
}

describe('simedge espruino build', () => {
  it('writes the bundle of the named modem without the named features, and says its size against the budget', async () => {
    const r = await run(['--modem', 'sim7080', '--without', 'budget,home-plmn', '-o', 'fw/simedge.min.js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('building the Espruino bundle (sim7080; without budget, home-plmn)');
    const code = readFileSync(join(dir, 'fw/simedge.min.js'), 'utf8');
    const ref = await buildFirmwareBundle(['sim7080'], { budget: false, homePlmn: false });
    expect(code).toBe(ref.code);
    const over = ref.bytes - SIZE_BUDGET;
    expect(r.stdout).toBe(`wrote ${join(dir, 'fw/simedge.min.js')}: ${ref.bytes} bytes (${over > 0 ? `${over} over` : `${-over} under`} the ${SIZE_BUDGET}-byte budget)\n`);
    expect(readdirSync(join(dir, 'fw'))).toEqual(['simedge.min.js']); // no temp file left behind
  });

  it('--report adds the bytes per source file; with --json as a modules list', async () => {
    const r = await run(['--modem', 'sim7080', '--report', '-o', 'rep.min.js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*rep\.min\.js: \d+ bytes/);
    expect(r.stdout).toContain('rep.min.js: ');
    expect(r.stdout).toMatch(/\d+ {2}src\/core\/transport\/sm\.ts/);
    expect(r.stdout).not.toContain('qmt.ts');
    const j = await run(['--modem', 'sim7080', '--report', '--json', '--force', '-o', 'rep.min.js']);
    const modules = (JSON.parse(j.stdout) as { modules: Array<{ path: string; bytes: number }> }).modules;
    expect(modules.find((m) => m.path === 'src/core/transport/sm.ts')?.bytes).toBeGreaterThan(0);
  });

  it('--json reports the choices; --iotsafe and several modems go into one bundle', async () => {
    const r = await run(['--modem', 'quectel,sim7600', '--iotsafe', '--json', '-o', 'two.min.js']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as { file: string; bytes: number; modems: string[]; iotSafe: boolean; without: string[] };
    expect(j).toMatchObject({ file: join(dir, 'two.min.js'), modems: ['quectel', 'sim7600'], iotSafe: true, without: [] });
    const code = readFileSync(j.file, 'utf8');
    expect(Buffer.byteLength(code)).toBe(j.bytes);
    expect(code).toContain('AT+QMTCONN=');
    expect(code).toContain('AT+CMQTTCONNECT=');
    expect(code).toContain('AT+CSIM='); // the IoT SAFE client
  });

  it('refuses to replace a file without --force (OUTPUT_EXISTS, file untouched), and replaces it with --force', async () => {
    const p = join(dir, 'keep.min.js');
    writeFileSync(p, 'mine');
    const r = await run(['--modem', 'none', '-o', p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('simedge: OUTPUT_EXISTS');
    expect(readFileSync(p, 'utf8')).toBe('mine');
    const f = await run(['--modem', 'none', '--force', '-o', p]);
    expect(f.code, f.stderr).toBe(0);
    expect(readFileSync(p, 'utf8')).toContain('var SimEdge');
  });

  it.each([
    [['--modem', 'nokia', '-o', 'x.js'], "--modem: unknown 'nokia'"],
    [['--modem', 'quectel', '--without', 'retries', '-o', 'x.js'], "--without: unknown 'retries'"],
    [['-o', 'x.js'], '--modem is required'],
    [['--modem', 'quectel'], '-o/--out is required'],
  ])('a usage error for %j: exit 2, nothing written', async (args, msg) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
    expect(r.stderr).toContain('usage: simedge espruino build');
    expect(existsSync(join(dir, 'x.js'))).toBe(false);
  });
});
