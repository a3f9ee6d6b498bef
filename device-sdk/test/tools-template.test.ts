// Template sources (JSON/YAML with conveniences) -> signTemplate -> inspect/verify, through the
// library API the demo uses. Real files in a temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeSign1, encodeCbor, MAX_INLINE_ART, sign1, validateTemplate } from '../src/wire/index.js';
import {
  inspectTemplate, keysByKid, loadTemplateSource, readKeyFile, readPrivateKeyFile, signTemplate, templateFromSource,
  verifyTemplate, writeKeyPair,
} from '../src/tools/index.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-tpl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FN = 'export default (req) => ({ doubled: req.x * 2 });\n';
writeFileSync(join(dir, 'fn.js'), FN);
const acme = writeKeyPair(join(dir, 'acme.key.json'), 'acme-2026');
const other = writeKeyPair(join(dir, 'other.key.json'), 'acme-2026'); // same kid, different key

const yamlSource = `# comment
v: 1
tid: acme.thermo
seq: 7
cls: acme/thermo-nb1
mfr: acme
iat: 2026-01-01T00:00:00Z
exp: 1798761600
bind: { iccid: ["894601"], plmn: ["24001"] }
svc:
  - { n: onem2m-cse, ver: "^1", fns: [reg, ret, sub, not], share: class, res: { cpu: 0.1, mem: 32 }, cfg: { offload: notify } }
  - { n: fn, share: device, art: { file: fn.js }, res: { mem: 16 } }
  - { n: fn, art: { text: "export default () => 1;" } }
  - { n: fn, art: { file: fn.js, url: "https://a.example/fn.js" } }
  - { n: fn, art: { sha256: "${'ab'.repeat(32)}", size: 10, url: "https://a.example/x.js" } }
`;

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return `${(e as { code?: string }).code ?? String(e)} ${(e as { detail?: string }).detail ?? ''}`.trim();
  }
  return 'OK';
}

describe('template sources', () => {
  it('loads YAML with every convenience resolved', () => {
    writeFileSync(join(dir, 'thermo.yaml'), yamlSource);
    const t = loadTemplateSource(join(dir, 'thermo.yaml'));
    expect(t.iat).toBe(Date.UTC(2026, 0, 1) / 1000);
    expect(t.exp).toBe(1798761600);
    expect(Buffer.from(t.svc[1]?.art as Uint8Array).toString()).toBe(FN);
    expect(Buffer.from(t.svc[2]?.art as Uint8Array).toString()).toBe('export default () => 1;');
    expect(t.svc[3]?.art).toEqual({ sha256: new Uint8Array(createHash('sha256').update(FN).digest()), size: FN.length, url: 'https://a.example/fn.js' });
    expect(t.svc[4]?.art).toEqual({ sha256: new Uint8Array(32).fill(0xab), size: 10, url: 'https://a.example/x.js' });
  });

  it('loads the same template from JSON, to the same signed bytes', () => {
    const y = loadTemplateSource(join(dir, 'thermo.yaml'));
    const src = { v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: '2026-01-01T00:00:00Z', exp: 1798761600,
      bind: { iccid: ['894601'], plmn: ['24001'] },
      svc: [
        { n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret', 'sub', 'not'], share: 'class', res: { cpu: 0.1, mem: 32 }, cfg: { offload: 'notify' } },
        { n: 'fn', share: 'device', art: { file: 'fn.js' }, res: { mem: 16 } },
        { n: 'fn', art: { text: 'export default () => 1;' } },
        { n: 'fn', art: { file: 'fn.js', url: 'https://a.example/fn.js' } },
        { n: 'fn', art: { sha256: 'ab'.repeat(32), size: 10, url: 'https://a.example/x.js' } },
      ] };
    writeFileSync(join(dir, 'thermo.json'), JSON.stringify(src));
    const j = loadTemplateSource(join(dir, 'thermo.json'));
    expect(j).toEqual(y);
    expect(signTemplate(j, acme)).toEqual(signTemplate(y, acme)); // deterministic CBOR + Ed25519
  });

  it('refuses bad sources with a code and the field path', () => {
    const base = { v: 1, tid: 't', seq: 1, cls: 'c', mfr: 'm', iat: 0, exp: 10, svc: [{ n: 'fn' }] };
    expect(codeOf(() => templateFromSource({ ...base, iat: 'next tuesday' }, dir))).toMatch(/^TEMPLATE_INVALID template\.iat: /);
    expect(codeOf(() => templateFromSource({ ...base, exp: '2026-13-45T00:00:00Z' }, dir))).toMatch(/^TEMPLATE_INVALID template\.exp: /);
    expect(codeOf(() => templateFromSource({ ...base, svc: [{ n: 'fn', art: { file: 'missing.js' } }] }, dir))).toMatch(/^INPUT_UNREADABLE /);
    writeFileSync(join(dir, 'big.js'), 'x'.repeat(MAX_INLINE_ART + 1));
    expect(codeOf(() => templateFromSource({ ...base, svc: [{ n: 'fn', art: { file: 'big.js' } }] }, dir))).toMatch(/^TEMPLATE_INVALID template\.svc\[0\]\.art\.file: /);
    expect(codeOf(() => templateFromSource({ ...base, svc: [{ n: 'fn', art: { sha256: 'xyz', size: 1, url: 'u' } }] }, dir))).toMatch(/^TEMPLATE_INVALID template\.svc\[0\]\.art\.sha256: /);
    expect(codeOf(() => templateFromSource({ ...base, svc: [{ n: 'fn', art: { text: '' } }] }, dir))).toMatch(/^TEMPLATE_INVALID template\.svc\[0\]\.art\.text: /);
    expect(codeOf(() => templateFromSource({ ...base, color: 'red' }, dir))).toMatch(/^TEMPLATE_INVALID template\.color: /);
    expect(codeOf(() => templateFromSource([base], dir))).toMatch(/^TEMPLATE_INVALID template: /);
    writeFileSync(join(dir, 'bad.yaml'), 'v: 1\n  tid: [unclosed\n');
    expect(codeOf(() => loadTemplateSource(join(dir, 'bad.yaml')))).toMatch(/^INPUT_INVALID /);
    writeFileSync(join(dir, 'dup.yaml'), 'v: 1\nv: 2\n');
    expect(codeOf(() => loadTemplateSource(join(dir, 'dup.yaml')))).toMatch(/^INPUT_INVALID /);
    writeFileSync(join(dir, 'bad.json'), '{"v": 1,}');
    expect(codeOf(() => loadTemplateSource(join(dir, 'bad.json')))).toMatch(/^INPUT_INVALID /);
    expect(codeOf(() => loadTemplateSource(dir))).toMatch(/^INPUT_UNREADABLE /);
  });
});

describe('signTemplate / inspectTemplate / verifyTemplate', () => {
  const tpl = validateTemplate({ v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: 1000, exp: 2000, svc: [{ n: 'fn', art: new Uint8Array(100) }] });
  const cose = signTemplate(tpl, readPrivateKeyFile(acme.privatePath));
  const trusted = keysByKid([readKeyFile(acme.publicPath)]);

  it('signs the deterministic CBOR of the validated template with the key kid', () => {
    const s = decodeSign1(cose);
    expect(s.kid).toBe('acme-2026');
    expect(s.payload).toEqual(encodeCbor(tpl));
  });

  it('refuses to sign an invalid template', () => {
    expect(codeOf(() => signTemplate({ ...tpl, seq: -1 }, acme))).toMatch(/^TEMPLATE_INVALID template\.seq/);
  });

  it('inspect reports kid, sizes, template and the signature state', () => {
    const r = inspectTemplate(cose);
    expect(r.kid).toBe('acme-2026');
    expect(r.size).toEqual({ total: cose.length, payload: encodeCbor(tpl).length, signature: 64 });
    expect(r.signature).toBe('not-checked');
    expect(r.template).toEqual(tpl);
    expect(inspectTemplate(cose, trusted).signature).toBe('valid');
    expect(inspectTemplate(cose, keysByKid([{ kid: 'acme-2026', publicKey: other.publicKey }])).signature).toBe('invalid');
    expect(inspectTemplate(cose, keysByKid([{ kid: 'x', publicKey: acme.publicKey }])).signature).toBe('unknown-key');
  });

  it('inspect shows a signed payload that is not a template, with the reason', () => {
    const c = sign1(encodeCbor({ hello: 'world' }), 'acme-2026', acme.seed);
    const r = inspectTemplate(c, trusted);
    expect(r.signature).toBe('valid');
    expect(r.template).toBeUndefined();
    expect(r.payload).toEqual({ hello: 'world' });
    expect(r.templateError?.code).toBe('TEMPLATE_INVALID');
  });

  it('verify: valid, wrong key, unknown kid, expired, not yet valid, not a template, garbage', () => {
    expect(verifyTemplate(cose, trusted, 1500)).toMatchObject({ ok: true, kid: 'acme-2026' });
    expect(verifyTemplate(cose, trusted)).toMatchObject({ ok: true }); // no time check
    expect(verifyTemplate(cose, keysByKid([{ kid: 'acme-2026', publicKey: other.publicKey }]), 1500)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    expect(verifyTemplate(cose, new Map(), 1500)).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
    expect(verifyTemplate(cose, trusted, 2000)).toMatchObject({ ok: false, code: 'TEMPLATE_EXPIRED' });
    expect(verifyTemplate(cose, trusted, 999)).toMatchObject({ ok: false, code: 'TEMPLATE_EXPIRED' });
    expect(verifyTemplate(sign1(encodeCbor([1]), 'acme-2026', acme.seed), trusted, 1500)).toMatchObject({ ok: false, code: 'TEMPLATE_INVALID' });
    expect(verifyTemplate(Uint8Array.of(1, 2, 3), trusted)).toMatchObject({ ok: false, code: 'CBOR_INVALID' });
    expect(verifyTemplate(encodeCbor([1, 2, 3, 4]), trusted)).toMatchObject({ ok: false, code: 'COSE_INVALID' });
    const flipped = cose.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    expect(verifyTemplate(flipped, trusted, 1500)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });
});
