// Inspect and verify a signed template: decode the COSE_Sign1 with the same limits the core uses,
// check the signature against given keys, validate the payload and (for verify) its validity
// window. Pure over bytes and keys; the CLI does the file I/O and printing.
import { decodeCbor } from '../wire/cbor.js';
import { isSimedgeError, SimedgeError, type Code } from '../wire/codes.js';
import { decodeSign1, verifySign1 } from '../wire/cose.js';
import { validateTemplate, type Template } from '../wire/template.js';
import type { PublicKeyInfo } from './jwk.js';

/** Largest signed template accepted, as the `prov` message allows (`tpl` ≤ 8192 bytes). */
export const MAX_SIGNED_TEMPLATE = 8192;

export type SignatureState = 'valid' | 'invalid' | 'unknown-key' | 'not-checked';

export interface Inspection {
  kid: string;
  size: { total: number; payload: number; signature: number };
  signature: SignatureState;
  /** The validated template, or undefined when the payload is not one (see templateError). */
  template?: Template;
  /** The decoded payload as it is, when it is CBOR (shown even if it is not a valid template). */
  payload?: unknown;
  templateError?: { code: Code; detail: string };
}

/**
 * Decode a signed template and report what it holds. `keys` (by kid) decide `signature`;
 * without keys it is `not-checked`. Throws only when the bytes are not a COSE_Sign1 at all
 * (COSE_INVALID or a CBOR_* code).
 */
export function inspectTemplate(cose: Uint8Array, keys?: ReadonlyMap<string, PublicKeyInfo>): Inspection {
  const s = decodeSign1(cose, { maxBytes: MAX_SIGNED_TEMPLATE });
  const out: Inspection = {
    kid: s.kid,
    size: { total: cose.length, payload: s.payload.length, signature: s.signature.length },
    signature: 'not-checked',
  };
  if (keys) {
    const k = keys.get(s.kid);
    out.signature = !k ? 'unknown-key' : verifySign1(s, k.publicKey) ? 'valid' : 'invalid';
  }
  try {
    out.payload = decodeCbor(s.payload, { maxBytes: MAX_SIGNED_TEMPLATE });
    out.template = validateTemplate(out.payload);
  } catch (e) {
    if (!isSimedgeError(e)) throw e;
    out.templateError = { code: e.code, detail: e.detail ?? '' };
  }
  return out;
}

export type Verdict =
  | { ok: true; kid: string; template: Template }
  | { ok: false; code: Code; detail: string; kid?: string };

/**
 * Verify a signed template: structure, signature by a key with the COSE kid, template schema and
 * validity window at `nowSec` (omit `nowSec` to skip the time check). Never throws for bad input.
 */
export function verifyTemplate(cose: Uint8Array, keys: ReadonlyMap<string, PublicKeyInfo>, nowSec?: number): Verdict {
  let r: Inspection;
  try {
    r = inspectTemplate(cose, keys);
  } catch (e) {
    if (isSimedgeError(e)) return { ok: false, code: e.code, detail: e.detail ?? '' };
    throw e;
  }
  const kid = r.kid;
  if (r.signature === 'unknown-key') return { ok: false, code: 'UNKNOWN_KEY', detail: `no key with kid ${kid}`, kid };
  if (r.signature !== 'valid') return { ok: false, code: 'BAD_SIGNATURE', detail: `kid ${kid}`, kid };
  if (!r.template) {
    const e = r.templateError ?? { code: 'TEMPLATE_INVALID' as const, detail: '' };
    return { ok: false, code: e.code, detail: e.detail, kid };
  }
  const t = r.template;
  if (nowSec !== undefined && (nowSec < t.iat || nowSec >= t.exp)) {
    const when = (s: number) => new Date(s * 1000).toISOString();
    return { ok: false, code: 'TEMPLATE_EXPIRED', detail: `valid ${when(t.iat)} .. ${when(t.exp)}, checked at ${when(nowSec)}`, kid };
  }
  return { ok: true, kid, template: t };
}

/** A map of keys by kid, from a list (a single --key, or a trust directory's contents). */
export function keysByKid(keys: Iterable<PublicKeyInfo>): Map<string, PublicKeyInfo> {
  const m = new Map<string, PublicKeyInfo>();
  for (const k of keys) {
    if (m.has(k.kid)) throw new SimedgeError('KEY_FILE_INVALID', `kid ${k.kid} given twice`);
    m.set(k.kid, k);
  }
  return m;
}
