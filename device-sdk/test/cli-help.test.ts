// `--help` / `-h` on the binary and every subcommand, and `--version` (real child processes).
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { commandTree, type Entry } from '../src/tools/index.js';
import { simedge } from './cli-run.js';

function paths(e: Entry, prefix: string[] = []): string[][] {
  if (e.kind === 'command') return [prefix];
  return [prefix, ...e.children.flatMap((c) => paths(c, [...prefix, c.name]))];
}

describe('simedge --help', () => {
  it('every group and command answers --help and -h with its usage on stdout, exit 0', async () => {
    const all = paths(await commandTree());
    expect(all.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['', 'keys', 'keys gen', 'template', 'template sign', 'template inspect', 'template verify']));
    const runs = await Promise.all(all.map((p, i) => simedge([...p, i % 2 ? '-h' : '--help'], tmpdir())));
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

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await simedge(['--version'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`simedge ${pkg.version}`);
  });
});
