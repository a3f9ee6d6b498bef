// HTTP plumbing of the admin API: bearer-token check, bounded body reading, JSON and text replies,
// and the one mapping from stable codes to HTTP statuses. Every error body is `{code, msg}` (plus
// `detail`, and `errors` for a refused import) so scripts branch on `code`, never on prose.
import { CODES, isSimedgeError, SimedgeError, type Code } from '@simedge/device-sdk/wire';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const STATUS: Partial<Record<Code, number>> = {
  ADMIN_UNAUTHORIZED: 401,
  ADMIN_NOT_FOUND: 404,
  ADMIN_METHOD: 405,
  ADMIN_TOO_LARGE: 413,
  ADMIN_CSV_INVALID: 422,
  ADMIN_INTERNAL: 500,
};

/** HTTP status of a domain error: its own for ADMIN_* codes, else 400 (the request was wrong). */
export function statusOf(code: Code): number {
  return STATUS[code] ?? 400;
}

/** A refused request with extra structured fields for the body (e.g. the bad rows of an import). */
export class AdminError extends SimedgeError {
  constructor(code: Code, detail?: string, readonly extra: Record<string, unknown> = {}) {
    super(code, detail);
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of the `Authorization: Bearer <token>` header with the token. */
export function authorized(req: IncomingMessage, token: string): boolean {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
  // Hash both sides: equal lengths for timingSafeEqual, and no early exit on a length mismatch.
  return timingSafeEqual(digest(h.slice(7).trim()), digest(token));
}

/** Read the whole body, refusing more than `max` bytes (by Content-Length at once, else as it streams). */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw new SimedgeError('ADMIN_TOO_LARGE', `${declared} bytes, at most ${max}`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > max) throw new SimedgeError('ADMIN_TOO_LARGE', `more than ${max} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Parse a JSON object body; ADMIN_BAD_REQUEST when it is not one. */
export function jsonObject(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SimedgeError('ADMIN_BAD_REQUEST', 'body is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SimedgeError('ADMIN_BAD_REQUEST', 'body must be a JSON object');
  return v as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Answer an error as `{code, msg, detail?}`; anything that is not a domain error is a 500 without internals. */
export function sendError(res: ServerResponse, e: unknown): { status: number; code: string } {
  if (isSimedgeError(e)) {
    const status = statusOf(e.code);
    const extra = e instanceof AdminError ? e.extra : {};
    sendJson(res, status, { code: e.code, msg: CODES[e.code], ...(e.detail !== undefined && { detail: e.detail }), ...extra });
    return { status, code: e.code };
  }
  sendJson(res, 500, { code: 'ADMIN_INTERNAL', msg: CODES.ADMIN_INTERNAL });
  return { status: 500, code: 'ADMIN_INTERNAL' };
}
