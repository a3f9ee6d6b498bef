// The `simedge` binary end to end, for real (child processes, files in a temp dir):
// keys gen -> template sign (JSON and YAML) -> inspect (text, --json) -> verify, and its failures.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSign1 } from '../src/wire/index.js';
import { simedge } from './cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = Math.floor(Date.now() / 1000);
const yaml = `v: 1
tid: acme.thermo
seq: 7
cls: acme/thermo-nb1
mfr: acme
iat: ${new Date((now - 86400) * 1000).toISOString()}
exp: ${now + 365 * 86400}
bind: { plmn: ["24001"] }
svc:
  - { n: onem2m-cse, fns: [reg, ret], share: class }
  - { n: fn, share: device, art: { file: fn.js } }
`;

beforeAll(async () => {
  writeFileSync(join(dir, 'fn.js'), 'export default (x) => x;\n');
  writeFileSync(join(dir, 'thermo.yaml'), yaml);
  writeFileSync(join(dir, 'meter.json'), JSON.stringify({ v: 1, tid: 'acme.meter', seq: 1, cls: 'acme/meter', mfr: 'acme', iat: now - 10, exp: now + 1000, svc: [{ n: 'fn', art: { text: 'export default () => 42;' } }] }));
  // Two independent key pairs, made by the CLI itself.
  const [a, b] = await Promise.all([
    simedge(['keys', 'gen', '--kid', 'acme-2026', '-o', 'acme.key.json'], dir),
    simedge(['keys', 'gen', '--kid', 'acme-2026', '-o', 'rogue.key.json'], dir), // same kid, other key
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
});

describe('simedge (real process)', () => {
  it('keys gen wrote a 0600 private JWK and a public JWK', () => {
    expect(statSync(join(dir, 'acme.key.json')).mode & 0o777).toBe(0o600);
    const pub = JSON.parse(readFileSync(join(dir, 'acme.pub.json'), 'utf8')) as Record<string, unknown>;
    expect(pub).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'acme-2026' });
    expect(pub.d).toBeUndefined();
  });

  it('signs YAML and JSON sources, inspects and verifies them', async () => {
    const [sy, sj] = await Promise.all([
      simedge(['template', 'sign', 'thermo.yaml', '--key', 'acme.key.json', '-o', 'thermo.cose'], dir),
      simedge(['template', 'sign', 'meter.json', '-k', 'acme.key.json', '--json'], dir),
    ]);
    expect(sy.code, sy.stderr).toBe(0);
    expect(sy.stdout).toContain('signed acme.thermo seq 7 with kid acme-2026');
    expect(sj.code, sj.stderr).toBe(0);
    expect(JSON.parse(sj.stdout)).toMatchObject({ kid: 'acme-2026', tid: 'acme.meter', seq: 1 });
    expect(existsSync(join(dir, 'meter.cose'))).toBe(true); // default output name
    const cose = new Uint8Array(readFileSync(join(dir, 'thermo.cose')));
    expect(decodeSign1(cose).kid).toBe('acme-2026');

    const [text, json, ok] = await Promise.all([
      simedge(['template', 'inspect', 'thermo.cose'], dir),
      simedge(['template', 'inspect', 'thermo.cose', '--key', 'acme.pub.json', '--json'], dir),
      simedge(['template', 'verify', 'thermo.cose', '--key', 'acme.pub.json'], dir),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/kid\s+acme-2026/);
    expect(text.stdout).toContain(`size       ${cose.length} bytes (payload ${decodeSign1(cose).payload.length}, signature 64)`);
    expect(text.stdout).toMatch(/signature\s+not checked/);
    expect(text.stdout).toContain('tid: acme.thermo');
    expect(text.stdout).toContain('onem2m-cse');

    expect(json.code, json.stderr).toBe(0);
    const j = JSON.parse(json.stdout) as { kid: string; size: { total: number }; signature: string; template: { tid: string; svc: Array<{ art?: { $bytes: string } }> } };
    expect(j.kid).toBe('acme-2026');
    expect(j.size.total).toBe(cose.length);
    expect(j.signature).toBe('valid');
    expect(j.template.tid).toBe('acme.thermo');
    expect(Buffer.from(j.template.svc[1]?.art?.$bytes ?? '', 'hex').toString()).toBe('export default (x) => x;\n');

    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('valid: acme.thermo seq 7 signed by acme-2026');
  });

  it('verify with another key exits 1 and names the reason', async () => {
    const rogue = await simedge(['template', 'verify', 'thermo.cose', '--key', 'rogue.pub.json'], dir);
    expect(rogue.code).toBe(1);
    expect(rogue.stdout).toMatch(/^invalid: BAD_SIGNATURE/);
  });

  it('bad input files give a clear code and exit 1, usage errors exit 2; never a stack trace', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'v: 1\n  tid: [oops\n');
    const [missing, broken, usage] = await Promise.all([
      simedge(['template', 'sign', 'missing.yaml', '--key', 'acme.key.json'], dir),
      simedge(['template', 'sign', 'broken.yaml', '--key', 'acme.key.json'], dir),
      simedge(['template', 'sign', 'thermo.yaml', '--key', 'acme.key.json', '--frob'], dir),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^simedge: INPUT_UNREADABLE: .*missing\.yaml/);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^simedge: INPUT_INVALID: .*broken\.yaml/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("simedge: Unknown option '--frob'");
    expect(usage.stderr).toContain('usage: simedge template sign <template.json|yaml> [options]');
    for (const r of [missing, broken, usage]) {
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
