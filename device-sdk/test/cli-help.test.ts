// `--help` / `-h` on every group and command (in-process through main(), which the binary runs),
// and the binary itself as a real child process for the top level, one subcommand and --version.
// Spawning one process per command made this test as slow as the whole command tree's start-up
// times the number of commands, which a loaded 2-core CI machine could not finish in time.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { commandTree, main, type Entry } from '../src/tools/index.js';
import { simedge } from './cli-run.js';

function paths(e: Entry, prefix: string[] = []): string[][] {
  if (e.kind === 'command') return [prefix];
  return [prefix, ...e.children.flatMap((c) => paths(c, [...prefix, c.name]))];
}

describe('simedge --help', () => {
  it('every group and command answers --help and -h with its usage on stdout, exit 0', async () => {
    const all = paths(await commandTree());
    expect(all.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['', 'keys', 'keys gen', 'template', 'template sign', 'template inspect', 'template verify']));
    const runs: Array<{ code: number; stdout: string; stderr: string }> = [];
    for (const [i, p] of all.entries()) {
      let stdout = '';
      let stderr = '';
      const code = await main([...p, i % 2 ? '-h' : '--help'], { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, cwd: tmpdir() });
      runs.push({ code, stdout, stderr });
    }
    runs.forEach((r, i) => {
      const p = all[i] as string[];
      expect(r.code, `${p.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.startsWith(`usage: ${['simedge', ...p].join(' ')}`), r.stdout).toBe(true);
      expect(r.stderr).toBe('');
    });
    const sign = runs[all.findIndex((p) => p.join(' ') === 'template sign')];
    expect(sign?.stdout).toContain('--key <key.json>');
    expect(sign?.stdout).toContain('{ file: fn.js }');
    const verify = runs[all.findIndex((p) => p.join(' ') === 'template verify')];
    expect(verify?.stdout).toContain('--trust <dir>');
  });

  it('the binary answers --help at the top level and for a subcommand', async () => {
    const [top, sign] = await Promise.all([simedge(['--help'], tmpdir()), simedge(['template', 'sign', '-h'], tmpdir())]);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout.startsWith('usage: simedge'), top.stdout).toBe(true);
    expect(sign.code, sign.stderr).toBe(0);
    expect(sign.stdout.startsWith('usage: simedge template sign'), sign.stdout).toBe(true);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await simedge(['--version'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`simedge ${pkg.version}`);
  });
});
