// The CLI's `main(argv, io)` in-process: the same code the binary runs (bin/simedge.mjs only adds
// tsx), used here for the larger matrix of exit codes and messages so the suite stays fast.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Command, type Group, type Io } from '../src/tools/index.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: dir };
  const code = await main(argv, io);
  return { code, out, err };
}

const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  expect((await run('keys', 'gen', '--kid', 'acme-2026', '-o', 'acme.key.json')).code).toBe(0);
  expect((await run('keys', 'gen', '--kid', 'other', '-o', 'other.key.json', '--json')).code).toBe(0);
  writeFileSync(join(dir, 'meter.json'), JSON.stringify({ v: 1, tid: 'acme.meter', seq: 1, cls: 'acme/meter', mfr: 'acme', iat: now - 10, exp: now + 1000, svc: [{ n: 'fn', art: { text: 'export default () => 42;' } }] }));
  expect((await run('template', 'sign', 'meter.json', '--key', 'acme.key.json')).code).toBe(0);
});

describe('simedge main()', () => {
  it('verify: --json verdict, --trust dir by kid, unknown kid, expiry, tampering, --ignore-time', async () => {
    const ok = await run('template', 'verify', 'meter.cose', '--key', 'acme.pub.json', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true, kid: 'acme-2026', template: { tid: 'acme.meter' } });

    const trustDir = join(dir, 'trust');
    mkdirSync(trustDir);
    copyFileSync(join(dir, 'acme.pub.json'), join(trustDir, 'acme.pub.json'));
    copyFileSync(join(dir, 'other.pub.json'), join(trustDir, 'other.pub.json'));
    expect((await run('template', 'verify', 'meter.cose', '--trust', 'trust')).code).toBe(0);

    const unknown = await run('template', 'verify', 'meter.cose', '--key', 'other.pub.json');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toMatch(/^invalid: UNKNOWN_KEY/);

    const late = await run('template', 'verify', 'meter.cose', '--key', 'acme.pub.json', '--at', String(now + 5000));
    expect(late.code).toBe(1);
    expect(late.out).toMatch(/^invalid: TEMPLATE_EXPIRED/);
    expect((await run('template', 'verify', 'meter.cose', '--key', 'acme.pub.json', '--at', String(now + 5000), '--ignore-time')).code).toBe(0);

    const b = readFileSync(join(dir, 'meter.cose'));
    b.writeUInt8(b.readUInt8(b.length - 1) ^ 1, b.length - 1);
    writeFileSync(join(dir, 'tampered.cose'), b);
    const t = await run('template', 'verify', 'tampered.cose', '--key', 'acme.pub.json', '--json');
    expect(t.code).toBe(1);
    expect(JSON.parse(t.out)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('domain errors: one line `simedge: <CODE>: <message>`, exit 1', async () => {
    writeFileSync(join(dir, 'invalid.json'), JSON.stringify({ v: 1, tid: 'Bad Name', seq: 1, cls: 'c', mfr: 'm', iat: 0, exp: 1, svc: [{ n: 'fn' }] }));
    writeFileSync(join(dir, 'junk.cose'), Uint8Array.of(0xff, 0x00));
    writeFileSync(join(dir, 'text.cose'), 'not cbor at all'); // happens to be a CBOR text string
    const cases: Array<[string[], string]> = [
      [['template', 'sign', 'invalid.json', '--key', 'acme.key.json'], 'TEMPLATE_INVALID'],
      [['template', 'sign', 'meter.json', '--key', 'acme.pub.json'], 'KEY_FILE_INVALID'],
      [['template', 'sign', 'meter.json', '--key', 'nope.json'], 'INPUT_UNREADABLE'],
      [['template', 'inspect', 'junk.cose'], 'CBOR_INVALID'],
      [['template', 'inspect', 'text.cose'], 'COSE_INVALID'],
      [['template', 'inspect', '.'], 'INPUT_UNREADABLE'],
      [['keys', 'gen', '--kid', 'acme-2026', '-o', 'acme.key.json'], 'OUTPUT_EXISTS'],
      [['keys', 'show', 'meter.json'], 'KEY_FILE_INVALID'],
      [['keys', 'gen', '--kid', 'k', '-o', 'no-such-dir/k.key.json'], 'OUTPUT_UNWRITABLE'],
      [['template', 'sign', 'meter.json', '--key', 'acme.key.json', '-o', 'no-such-dir/m.cose'], 'OUTPUT_UNWRITABLE'],
    ];
    for (const [argv, code] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err, argv.join(' ')).toMatch(new RegExp(`^simedge: ${code}: [^\\n]+\\n$`));
      expect(r.out).toBe('');
    }
  });

  it('usage errors: message + usage on stderr, exit 2', async () => {
    const cases: string[][] = [
      [], ['frobnicate'], ['--frob'], ['keys'], ['keys', 'gen'], ['keys', 'gen', '--kid', 'x'], ['keys', 'gen', '--kid', 'bad kid', '-o', 'k.json'],
      ['template', 'sign'], ['template', 'sign', 'a.yaml', 'b.yaml', '--key', 'k'], ['template', 'sign', 'meter.json'],
      ['template', 'verify', 'meter.cose'], ['template', 'verify', 'meter.cose', '--key'],
      ['template', 'verify', 'meter.cose', '--key', 'acme.pub.json', '--at', 'tomorrow'], ['template', 'inspect', 'meter.cose', '--json=yes'],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toContain('usage: simedge');
      expect(r.out).toBe('');
    }
  });

  it('keys show prints the public JWK of a private file', async () => {
    const r = await run('keys', 'show', 'acme.key.json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'acme-2026', private: true });
    expect(j.d).toBeUndefined();
  });

  it('runs commands contributed to the tree (the extension point), with --help and exit codes', async () => {
    const echo: Command = {
      kind: 'command', name: 'echo', summary: 'print the arguments', args: '<word>', minArgs: 1, maxArgs: 1,
      options: { upper: { type: 'boolean', description: 'upper-case' } },
      async run(v, args, io) { io.out(`${v.upper ? (args[0] as string).toUpperCase() : args[0]}\n`); return 0; },
    };
    const root: Group = { kind: 'group', name: 'simedge', summary: 'test', children: [{ kind: 'group', name: 'modem-emu', summary: 'emulator', children: [echo] }] };
    let out = '';
    let err = '';
    const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: dir };
    expect(await main(['modem-emu', 'echo', 'hi', '--upper'], io, root)).toBe(0);
    expect(out).toBe('HI\n');
    out = '';
    expect(await main(['modem-emu', 'echo', '--help'], io, root)).toBe(0);
    expect(out).toContain('usage: simedge modem-emu echo <word> [options]');
    expect(out).toContain('--upper');
    expect(await main(['modem-emu', 'echo'], io, root)).toBe(2);
    expect(err).toContain('usage: simedge modem-emu echo <word> [options]');
  });
});
