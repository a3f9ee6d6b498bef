// Template sources: the JSON or YAML a manufacturer writes, turned into a validated Template.
// Conveniences over the wire form (DESIGN.md "Wire format"), each resolved here so the signed
// CBOR is always the plain schema:
//   iat / exp      seconds since the epoch, or an ISO-8601 date-time string ("2026-01-01T00:00:00Z")
//   svc[i].art     { "file": "fn.js" }            inline bytes of that file (relative to the source)
//                  { "text": "...JS..." }          inline bytes of the UTF-8 text
//                  { "file": "fn.js", "url": … }  a reference: sha256 and size computed from the file
//                  { "sha256": "<hex>", "size": n, "url": "…" }  a reference as given
import { createHash } from 'node:crypto';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SimedgeError } from '../wire/codes.js';
import { MAX_INLINE_ART, validateTemplate, type Template } from '../wire/template.js';
import { readInput } from './keyfile.js';

const MAX_SOURCE = 1024 * 1024;
const MAX_ART_FILE = 512 * 1024 * 1024;
// Date, optional time with mandatory zone: no locale-dependent Date.parse guesses.
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function bad(path: string, why: string): never {
  throw new SimedgeError('TEMPLATE_INVALID', `${path}: ${why}`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Seconds since the epoch from a number, an ISO-8601 string or a YAML timestamp (Date). */
export function toEpochSeconds(v: unknown, path: string): unknown {
  if (v instanceof Date) return Math.floor(v.getTime() / 1000);
  if (typeof v !== 'string') return v; // numbers (and wrong types) go to validateTemplate as they are
  if (!ISO.test(v)) bad(path, 'must be seconds since the epoch or an ISO-8601 date-time like 2026-01-01T00:00:00Z');
  const ms = Date.parse(v);
  if (!Number.isFinite(ms) || ms < 0) bad(path, `${v} is not a valid date-time after 1970`);
  return Math.floor(ms / 1000);
}

function artFromSource(v: unknown, path: string, baseDir: string): unknown {
  if (!isObj(v)) return v;
  const keys = Object.keys(v).sort().join(',');
  if (keys === 'text') {
    if (typeof v.text !== 'string' || v.text.length === 0) bad(`${path}.text`, 'must be non-empty text');
    return new Uint8Array(Buffer.from(v.text, 'utf8'));
  }
  if (keys === 'file' || keys === 'file,url') {
    if (typeof v.file !== 'string' || v.file.length === 0) bad(`${path}.file`, 'must be a file name');
    const file = resolve(baseDir, v.file);
    const inline = v.url === undefined;
    let data: Buffer;
    try {
      data = readInput(file, inline ? MAX_INLINE_ART : MAX_ART_FILE);
    } catch (e) {
      if (e instanceof SimedgeError && e.code === 'INPUT_INVALID') {
        bad(`${path}.file`, `${v.file} exceeds ${MAX_INLINE_ART} bytes of inline code; add "url" to ship it as a reference`);
      }
      throw e;
    }
    if (inline) return new Uint8Array(data);
    return { sha256: new Uint8Array(createHash('sha256').update(data).digest()), size: data.length, url: v.url };
  }
  if (typeof v.sha256 === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(v.sha256)) bad(`${path}.sha256`, 'must be 64 hex digits');
    return { ...v, sha256: new Uint8Array(Buffer.from(v.sha256, 'hex')) };
  }
  return v; // validateTemplate names what is wrong
}

/**
 * Resolve the conveniences of a parsed source object and validate it. `baseDir` is where
 * `art.file` names are resolved. Throws TEMPLATE_INVALID (with the field's path) or INPUT_*.
 */
export function templateFromSource(src: unknown, baseDir: string): Template {
  if (!isObj(src)) bad('template', 'must be a map');
  const t: Record<string, unknown> = { ...src };
  if ('iat' in t) t.iat = toEpochSeconds(t.iat, 'template.iat');
  if ('exp' in t) t.exp = toEpochSeconds(t.exp, 'template.exp');
  if (Array.isArray(t.svc)) {
    t.svc = t.svc.map((s, i) => (isObj(s) && 'art' in s ? { ...s, art: artFromSource(s.art, `template.svc[${i}].art`, baseDir) } : s));
  }
  return validateTemplate(t);
}

/** Parse JSON (`.json`) or YAML (anything else) source text. INPUT_INVALID on syntax errors. */
export function parseSource(text: string, name: string): unknown {
  try {
    if (extname(name).toLowerCase() === '.json') return JSON.parse(text);
    // YAML 1.2 core schema: dates stay strings, `yes` stays a string; no custom tags.
    return parseYaml(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw new SimedgeError('INPUT_INVALID', `${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Load a template source file (JSON or YAML), resolve its conveniences and validate it. */
export function loadTemplateSource(path: string): Template {
  const text = readInput(path, MAX_SOURCE).toString('utf8');
  return templateFromSource(parseSource(text, path), dirname(resolve(path)));
}
