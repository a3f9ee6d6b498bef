// Key files as JWKs [RFC8037 §2]: writeKeyPair / readKeyFile / readTrustDir on a real temp dir.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeEd25519Sync } from '../src/wire/index.js';
import { isKeyPair, parseJwk, publicKeyPath, readKeyFile, readPrivateKeyFile, readTrustDir, writeKeyPair } from '../src/tools/index.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'OK';
}

describe('key files', () => {
  it('names the public file beside the private one', () => {
    expect(publicKeyPath('/k/acme.key.json')).toBe('/k/acme.pub.json');
    expect(publicKeyPath('/k/acme.json')).toBe('/k/acme.pub.json');
    expect(publicKeyPath('/k/acme')).toBe('/k/acme.pub.json');
  });

  it('writes a private JWK with mode 0600 and a public JWK without d', () => {
    const k = writeKeyPair(join(dir, 'acme.key.json'), 'acme-2026');
    expect(k.publicPath).toBe(join(dir, 'acme.pub.json'));
    expect(statSync(k.privatePath).mode & 0o777).toBe(0o600);
    const priv = JSON.parse(readFileSync(k.privatePath, 'utf8')) as Record<string, string>;
    const pub = JSON.parse(readFileSync(k.publicPath, 'utf8')) as Record<string, string>;
    expect(Object.keys(priv).sort()).toEqual(['crv', 'd', 'kid', 'kty', 'x']);
    expect(pub).toEqual({ kty: 'OKP', crv: 'Ed25519', kid: 'acme-2026', x: priv.x });
    expect(priv.x).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The files hold a working pair.
    const r = readPrivateKeyFile(k.privatePath);
    const sig = nodeEd25519Sync.sign(Uint8Array.of(1, 2, 3), r.seed);
    expect(nodeEd25519Sync.verify(sig, Uint8Array.of(1, 2, 3), readKeyFile(k.publicPath).publicKey)).toBe(true);
    expect(isKeyPair(readKeyFile(k.publicPath))).toBe(false);
  });

  it('refuses to overwrite without force, and replaces (keeping 0600) with force', () => {
    const p = join(dir, 'acme.key.json');
    const before = readFileSync(p, 'utf8');
    expect(codeOf(() => writeKeyPair(p, 'acme-2026'))).toBe('OUTPUT_EXISTS');
    expect(readFileSync(p, 'utf8')).toBe(before);
    writeKeyPair(p, 'acme-2026', { force: true });
    expect(readFileSync(p, 'utf8')).not.toBe(before);
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('refuses bad kids', () => {
    expect(() => writeKeyPair(join(dir, 'x.key.json'), 'has space')).toThrow(TypeError);
    expect(() => writeKeyPair(join(dir, 'x.key.json'), '')).toThrow(TypeError);
  });

  it('parses strictly: wrong kty/crv, bad base64url, x not matching d', () => {
    const good = JSON.parse(readFileSync(join(dir, 'acme.key.json'), 'utf8')) as Record<string, string>;
    const other = writeKeyPair(join(dir, 'other.key.json'), 'other');
    const cases: Array<Record<string, unknown>> = [
      { ...good, kty: 'EC' }, { ...good, crv: 'Ed448' }, { ...good, kid: undefined }, { ...good, x: good.x + 'A' },
      { ...good, x: (good.x as string).slice(0, 42) + '=' }, { ...good, d: 'not base64url!' },
      { ...good, x: Buffer.from(other.publicKey).toString('base64url') },
    ];
    for (const c of cases) expect(codeOf(() => parseJwk(c))).toBe('KEY_FILE_INVALID');
    expect(codeOf(() => parseJwk([]))).toBe('KEY_FILE_INVALID');
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    expect(codeOf(() => readKeyFile(join(dir, 'broken.json')))).toBe('KEY_FILE_INVALID');
    expect(codeOf(() => readKeyFile(join(dir, 'missing.json')))).toBe('INPUT_UNREADABLE');
    expect(codeOf(() => readPrivateKeyFile(join(dir, 'acme.pub.json')))).toBe('KEY_FILE_INVALID');
  });

  it('reads a trust directory by kid and refuses a kid bound to two keys', () => {
    const t = mkdtempSync(join(dir, 'trust-'));
    const a = writeKeyPair(join(t, 'a.key.json'), 'a');
    writeKeyPair(join(t, 'b.key.json'), 'b');
    const keys = readTrustDir(t);
    expect([...keys.keys()].sort()).toEqual(['a', 'b']);
    expect(keys.get('a')?.publicKey).toEqual(a.publicKey);
    writeKeyPair(join(t, 'a2.key.json'), 'a');
    expect(codeOf(() => readTrustDir(t))).toBe('KEY_FILE_INVALID');
    expect(codeOf(() => readTrustDir(join(dir, 'no-such-dir')))).toBe('INPUT_UNREADABLE');
  });
});
