// Key files on disk: write a fresh pair (private JWK with mode 0600 + public JWK beside it), read
// one key file, or read a trust directory of public JWKs keyed by kid.
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SimedgeError } from '../wire/codes.js';
import { generateKeyPair } from '../wire/ed25519.js';
import { checkKid, isKeyPair, parseJwk, toPrivateJwk, toPublicJwk, type KeyPair, type PublicKeyInfo } from './jwk.js';

const MAX_KEY_FILE = 16 * 1024;

/** `acme.key.json` -> `acme.pub.json`; `acme.json` -> `acme.pub.json`; `acme` -> `acme.pub.json`. */
export function publicKeyPath(privatePath: string): string {
  const dir = dirname(privatePath);
  const base = basename(privatePath).replace(/\.key\.json$/, '').replace(/\.json$/, '');
  return join(dir, `${base}.pub.json`);
}

export interface WrittenKeyPair extends KeyPair {
  privatePath: string;
  publicPath: string;
}

/**
 * Generate an Ed25519 key pair and write it as JWKs: the private key to `privatePath` (mode 0600)
 * and the public key to `publicKeyPath(privatePath)`. Refuses to replace existing files unless
 * `force` (OUTPUT_EXISTS).
 */
export function writeKeyPair(privatePath: string, kid: string, opts: { force?: boolean } = {}): WrittenKeyPair {
  checkKid(kid);
  const publicPath = publicKeyPath(privatePath);
  if (publicPath === privatePath) throw new TypeError('the private key file must not be named *.pub.json');
  const flag = opts.force ? 'w' : 'wx';
  const { seed, publicKey } = generateKeyPair();
  const pair: KeyPair = { kid, seed, publicKey };
  if (!opts.force) {
    for (const p of [privatePath, publicPath]) {
      if (exists(p)) throw new SimedgeError('OUTPUT_EXISTS', p);
    }
  }
  try {
    writeFileSync(privatePath, JSON.stringify(toPrivateJwk(pair), null, 2) + '\n', { mode: 0o600, flag });
    chmodSync(privatePath, 0o600); // `mode` applies only when the file is created
    writeFileSync(publicPath, JSON.stringify(toPublicJwk(pair), null, 2) + '\n', { mode: 0o644, flag });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new SimedgeError('OUTPUT_EXISTS', err.path ?? privatePath);
    throw outputError(e, privatePath);
  }
  return { ...pair, privatePath, publicPath };
}

/** Map a failed write to OUTPUT_UNWRITABLE (user error) unless it is something unexpected. */
export function outputError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EROFS') {
    return new SimedgeError('OUTPUT_UNWRITABLE', `${(e as NodeJS.ErrnoException).path ?? path} (${code})`);
  }
  return e;
}

/** Write a whole output file, mapping user-caused failures to OUTPUT_UNWRITABLE. */
export function writeOutput(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw outputError(e, path);
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Read a small input file; INPUT_UNREADABLE when missing, a directory or unreadable. */
export function readInput(path: string, maxBytes: number): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new SimedgeError('INPUT_UNREADABLE', path);
  }
  if (!st.isFile()) throw new SimedgeError('INPUT_UNREADABLE', `${path} is not a file`);
  if (st.size > maxBytes) throw new SimedgeError('INPUT_INVALID', `${path} is ${st.size} bytes, at most ${maxBytes} expected`);
  try {
    return readFileSync(path);
  } catch {
    throw new SimedgeError('INPUT_UNREADABLE', path);
  }
}

/** Read one JWK key file (public or private). */
export function readKeyFile(path: string): PublicKeyInfo | KeyPair {
  const text = readInput(path, MAX_KEY_FILE).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SimedgeError('KEY_FILE_INVALID', `${path}: not JSON`);
  }
  return parseJwk(json, path);
}

/** Read a private key file; KEY_FILE_INVALID when it holds only a public key. */
export function readPrivateKeyFile(path: string): KeyPair {
  const k = readKeyFile(path);
  if (!isKeyPair(k)) throw new SimedgeError('KEY_FILE_INVALID', `${path} holds a public key; signing needs the private key file`);
  return k;
}

/**
 * Read every `*.json` JWK in a directory as public keys (private files contribute their public
 * half). Two files with the same kid and different keys are refused: the trust store must be
 * unambiguous.
 */
export function readTrustDir(dir: string): Map<string, PublicKeyInfo> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    throw new SimedgeError('INPUT_UNREADABLE', `${dir} is not a readable directory`);
  }
  const keys = new Map<string, PublicKeyInfo>();
  for (const n of names) {
    const k = readKeyFile(join(dir, n));
    const prev = keys.get(k.kid);
    if (prev && !Buffer.from(prev.publicKey).equals(k.publicKey)) throw new SimedgeError('KEY_FILE_INVALID', `${join(dir, n)}: kid ${k.kid} already used by another key`);
    keys.set(k.kid, { kid: k.kid, publicKey: k.publicKey });
  }
  return keys;
}
