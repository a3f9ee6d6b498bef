// A PKI directory on disk: `ca.crt` + `ca.key`, and `<role>-<id>.crt` + `.key` per issued
// identity. Certificates are 0644, private keys 0600 (created so, never widened); nothing is
// overwritten without `force` (OUTPUT_EXISTS), so a second `pki init` cannot silently replace the
// CA every deployed certificate chains to.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { describeCert } from './describe.js';
import { fileStem, type Identity } from './identity.js';
import { createCa, issueCert, readCa, type CaOptions, type CertAndKey, type IssueOptions } from './issue.js';

export interface PkiPaths {
  cert: string;
  key: string;
}

export interface IssuedFiles extends PkiPaths {
  identity: Identity;
}

const MAX_PEM = 64 * 1024;

export function caPaths(dir: string): PkiPaths {
  return { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
}

export function identityPaths(dir: string, i: Identity): PkiPaths {
  const stem = fileStem(i);
  return { cert: join(dir, `${stem}.crt`), key: join(dir, `${stem}.key`) };
}

/** Create `dir` (0700) and an operator CA in it. */
export function initPki(dir: string, opts: CaOptions & { force?: boolean } = {}): PkiPaths {
  const p = caPaths(dir);
  mkdir(dir);
  const ca = createCa(opts);
  writePair(p, ca, opts.force === true);
  return p;
}

/** Read the CA of a PKI directory (INPUT_UNREADABLE when absent, CERT_INVALID when unusable). */
export function loadCa(dir: string): CertAndKey {
  const p = caPaths(dir);
  const ca = { certPem: readPem(p.cert), keyPem: readPem(p.key) };
  readCa(ca); // fail here, naming the directory's CA, rather than at first use
  return ca;
}

/** Issue a certificate with the directory's CA and write it beside it. */
export function issueToDir(dir: string, opts: IssueOptions & { force?: boolean }): IssuedFiles {
  const issued = issueCert(loadCa(dir), opts);
  const p = identityPaths(dir, issued.identity);
  writePair(p, issued, opts.force === true);
  return { ...p, identity: issued.identity };
}

/** Every identity certificate in `dir` with its key file (unreadable or foreign .crt files are skipped). */
export function listIssued(dir: string): IssuedFiles[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.crt') && n !== 'ca.crt').sort();
  } catch (e) {
    throw new SimedgeError('INPUT_UNREADABLE', `${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const out: IssuedFiles[] = [];
  for (const n of names) {
    let identity: Identity | undefined;
    try {
      identity = describeCert(readPem(join(dir, n))).identity;
    } catch {
      continue;
    }
    if (identity) out.push({ identity, ...identityPaths(dir, identity) });
  }
  return out;
}

export function readPem(path: string): string {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw new SimedgeError('INPUT_UNREADABLE', `${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (b.length > MAX_PEM) throw new SimedgeError('CERT_INVALID', `${path} is larger than ${MAX_PEM} bytes`);
  return b.toString('utf8');
}

function mkdir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new SimedgeError('OUTPUT_UNWRITABLE', `${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function writePair(p: PkiPaths, ck: CertAndKey, force: boolean): void {
  const flag = force ? 'w' : 'wx';
  if (!force) for (const f of [p.key, p.cert]) if (existsSync(f)) throw new SimedgeError('OUTPUT_EXISTS', f);
  try {
    // Key first: if it cannot be written, no certificate without a key is left behind.
    writeFileSync(p.key, ck.keyPem, { mode: 0o600, flag });
    chmodSync(p.key, 0o600); // `mode` applies only when the file is created
    writeFileSync(p.cert, ck.certPem, { mode: 0o644, flag });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new SimedgeError('OUTPUT_EXISTS', err.path ?? p.cert);
    throw new SimedgeError('OUTPUT_UNWRITABLE', `${err.path ?? p.cert} (${err.code ?? 'error'})`);
  }
}
