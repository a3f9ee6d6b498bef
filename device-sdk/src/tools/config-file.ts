// Daemon config files (`simedge core run`, `simedge edge run`): reading one (JSON, else YAML) and
// the field checks both checkers are built from. Every mistake is CONFIG_INVALID whose detail
// names the field, so an admin sees which line to fix; relative paths start at the file's folder.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SimedgeError } from '../wire/codes.js';

export type ConfigObj = Record<string, unknown>;

const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_PEM_BYTES = 64 * 1024;

/** Refuse field `field` with `why`: CONFIG_INVALID, detail `<field>: <why>`. */
export function bad(field: string, why: string): never {
  throw new SimedgeError('CONFIG_INVALID', `${field}: ${why}`);
}

export const isObj = (v: unknown): v is ConfigObj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function obj(v: unknown, field: string): ConfigObj {
  return isObj(v) ? v : bad(field, 'an object expected');
}
export function str(v: unknown, field: string): string {
  return typeof v === 'string' && v.length > 0 ? v : bad(field, 'a non-empty string expected');
}
export function port(v: unknown, field: string): number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? (v as number) : bad(field, 'a port number 0..65535 expected');
}
export function positive(v: unknown, field: string): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : bad(field, 'a positive number expected');
}
/** Unknown fields are refused: a typo must not be silently ignored. */
export function only(o: ConfigObj, field: string, keys: string[]): void {
  const extra = Object.keys(o).find((k) => !keys.includes(k));
  if (extra !== undefined) bad(`${field}.${extra}`, 'unknown field');
}

const PEM = { cert: /-----BEGIN CERTIFICATE-----/, key: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ };

/** A PEM file named by field `field` (relative to `base`): readable, at most 64 KiB, holding a
 *  certificate or a private key as `kind` says. Returns its text. */
export function pemFile(v: unknown, field: string, base: string, kind: 'cert' | 'key'): string {
  const path = resolve(base, str(v, field));
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_PEM_BYTES) return bad(field, `${path} is larger than 64 KiB`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof SimedgeError) throw e;
    return bad(field, `cannot read ${path}`);
  }
  return PEM[kind].test(text) ? text : bad(field, `${path} holds no PEM ${kind === 'cert' ? 'certificate' : 'private key'}`);
}

/** Read a config file (`.json`, else YAML, a superset of JSON): the parsed value and the folder
 *  relative paths start from. INPUT_UNREADABLE when it cannot be read, CONFIG_INVALID when it is
 *  over 1 MiB or does not parse. */
export function readConfigFile(path: string): { raw: unknown; base: string } {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_CONFIG_BYTES) bad(path, 'larger than 1 MiB');
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof SimedgeError) throw e;
    throw new SimedgeError('INPUT_UNREADABLE', path);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    return bad(path, `not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  return { raw, base: dirname(resolve(path)) };
}
