// The transport PKI: what the CA and the issued certificates contain [RFC5280], that they chain
// (checked by OpenSSL through node:crypto and by node-forge), how a PKI directory is written
// (0600 keys, no silent overwrite), and that bad input is refused without writing anything.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import { createCa, describeCert, initPki, issueCert, issueToDir, listIssued, loadCa, readCa, type CertAndKey } from '../src/pki/index.js';

const IMSI = '244051234567890';
let ca: CertAndKey;
let tmp: string;

beforeAll(() => {
  ca = createCa({ cn: 'unit CA', days: 30 });
  tmp = mkdtempSync(join(tmpdir(), 'simedge-pki-unit-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isSimedgeError(e) ? e.code : `${(e as Error).name}`;
  }
  return undefined;
};

describe('createCa', () => {
  it('is a self-signed CA limited to signing leaves', () => {
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.subject).toContain('CN=unit CA');
    expect(x.verify(x.publicKey)).toBe(true);
    const f = forge.pki.certificateFromPem(ca.certPem);
    expect(f.getExtension('basicConstraints')).toMatchObject({ cA: true, pathLenConstraint: 0, critical: true });
    expect(f.getExtension('keyUsage')).toMatchObject({ keyCertSign: true, cRLSign: true });
    expect((f.publicKey as forge.pki.rsa.PublicKey).n.bitLength()).toBe(2048);
    expect(new Date(x.validTo).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
  });
});

describe('issueCert', () => {
  it.each([
    ['device', IMSI, IMSI, ['clientAuth']],
    ['edge', 'edge-a', 'edge:edge-a', ['serverAuth', 'clientAuth']],
    ['core', 'core-1', 'core:core-1', ['serverAuth', 'clientAuth']],
    ['broker', 'b1', 'broker:b1', ['serverAuth']],
  ] as const)('%s %s: identity URI, CN %s, key usage %j, chains to the CA', (role, id, cn, eku) => {
    const leaf = issueCert(ca, { role, id });
    const d = describeCert(leaf.certPem);
    expect(d.identity).toEqual({ role, id });
    expect(d.subjectAltNames).toContain(`URI:urn:simedge:${role}:${id}`);
    expect(d.subject).toContain(`CN=${cn}`);
    expect(d.extKeyUsage).toEqual(eku);
    expect(d.ca).toBe(false);
    const x = new X509Certificate(leaf.certPem);
    const caX = new X509Certificate(ca.certPem);
    expect(x.checkIssued(caX)).toBe(true);
    expect(x.verify(caX.publicKey)).toBe(true);
    expect(forge.pki.certificateFromPem(ca.certPem).verify(forge.pki.certificateFromPem(leaf.certPem))).toBe(true);
    // The key is the certificate's key.
    expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
  });

  it('puts DNS names and IPs in the SAN; checkHost/checkIP agree', () => {
    const b = issueCert(ca, { role: 'broker', id: 'b1', dnsNames: ['localhost', 'mqtt.example.net'], ips: ['127.0.0.1', '::1'] });
    const x = new X509Certificate(b.certPem);
    expect(x.checkHost('mqtt.example.net')).toBe('mqtt.example.net');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkIP('127.0.0.2')).toBeUndefined();
  });

  it('two certificates never share a serial', () => {
    const s = new Set(Array.from({ length: 2 }, () => describeCert(issueCert(ca, { role: 'device', id: IMSI }).certPem).serial));
    expect(s.size).toBe(2);
  });

  it('refuses bad roles, ids, names and validity with TypeError/RangeError', () => {
    expect(codeOf(() => issueCert(ca, { role: 'admin' as never, id: 'x' }))).toBe('TypeError');
    expect(codeOf(() => issueCert(ca, { role: 'device', id: 'edge-a' }))).toBe('TypeError');
    expect(codeOf(() => issueCert(ca, { role: 'edge', id: 'a/b' }))).toBe('TypeError');
    expect(codeOf(() => issueCert(ca, { role: 'edge', id: '+' }))).toBe('TypeError');
    expect(codeOf(() => issueCert(ca, { role: 'broker', id: 'b', ips: ['300.1.1.1'] }))).toBe('TypeError');
    expect(codeOf(() => issueCert(ca, { role: 'broker', id: 'b', dnsNames: ['bad name'] }))).toBe('TypeError');
    expect(codeOf(() => issueCert(ca, { role: 'edge', id: 'e', days: 0 }))).toBe('RangeError');
  });

  it('refuses a CA whose key is not its own, a non-CA, and garbage: CERT_INVALID', () => {
    const leaf = issueCert(ca, { role: 'edge', id: 'e' });
    expect(codeOf(() => readCa({ certPem: ca.certPem, keyPem: leaf.keyPem }))).toBe('CERT_INVALID');
    expect(codeOf(() => issueCert(leaf, { role: 'edge', id: 'x' }))).toBe('CERT_INVALID');
    expect(codeOf(() => readCa({ certPem: 'not pem', keyPem: ca.keyPem }))).toBe('CERT_INVALID');
    expect(codeOf(() => describeCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))).toBe('CERT_INVALID');
  });
});

describe('PKI directory', () => {
  it('init writes ca.crt 0644 and ca.key 0600; a second init refuses and leaves the CA alone', () => {
    const dir = join(tmp, 'd1');
    const p = initPki(dir);
    expect(statSync(p.key).mode & 0o777).toBe(0o600);
    expect(statSync(p.cert).mode & 0o777).toBe(0o644);
    const before = readFileSync(p.cert, 'utf8');
    expect(codeOf(() => initPki(dir))).toBe('OUTPUT_EXISTS');
    expect(readFileSync(p.cert, 'utf8')).toBe(before);
    initPki(dir, { force: true });
    expect(readFileSync(p.cert, 'utf8')).not.toBe(before);
  });

  it('issues beside the CA, lists what it issued, refuses to overwrite', () => {
    const dir = join(tmp, 'd2');
    initPki(dir);
    const e = issueToDir(dir, { role: 'edge', id: 'edge-a' });
    issueToDir(dir, { role: 'device', id: IMSI });
    expect(e.cert).toBe(join(dir, 'edge-edge-a.crt'));
    expect(statSync(e.key).mode & 0o777).toBe(0o600);
    expect(listIssued(dir).map((i) => i.identity)).toEqual([{ role: 'device', id: IMSI }, { role: 'edge', id: 'edge-a' }]);
    expect(codeOf(() => issueToDir(dir, { role: 'edge', id: 'edge-a' }))).toBe('OUTPUT_EXISTS');
    const files = readdirSync(dir).sort();
    expect(codeOf(() => issueToDir(dir, { role: 'edge', id: 'bad/id' }))).toBe('TypeError');
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('a directory without a CA: INPUT_UNREADABLE', () => {
    expect(codeOf(() => loadCa(join(tmp, 'nothing-here')))).toBe('INPUT_UNREADABLE');
  });
});
