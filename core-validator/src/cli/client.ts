// The admin API client the `simedge core` commands use: one request, bearer token, bounded time.
// An error answer becomes the SimedgeError its body names (so the CLI prints the same stable code
// the API sent and exits 1); no answer at all is ADMIN_UNREACHABLE.
import { isCode, SimedgeError } from '@simedge/device-sdk/wire';

export interface AdminTarget {
  /** Base URL, e.g. http://127.0.0.1:8620 */
  url: string;
  token: string;
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface AdminAnswer { status: number; contentType: string; text: string }

/** Send one request; resolves only for a 2xx answer. */
export async function adminFetch(t: AdminTarget, method: 'GET' | 'POST', path: string, body?: { type: string; data: string }): Promise<AdminAnswer> {
  let res: Response;
  try {
    res = await fetch(new URL(path, t.url), {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body && { 'content-type': body.type }) },
      ...(body && { body: body.data }),
      signal: AbortSignal.timeout(t.timeoutMs ?? 30_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new SimedgeError('ADMIN_UNREACHABLE', `${t.url}: ${cause ?? (e as Error).message}`);
  }
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  if (res.ok) return { status: res.status, contentType, text };
  let parsed: { code?: unknown; detail?: unknown; errors?: unknown } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new SimedgeError('ADMIN_UNREACHABLE', `${t.url} answered HTTP ${res.status} without a JSON error body`);
  }
  const code = isCode(parsed.code) ? parsed.code : 'ADMIN_UNREACHABLE';
  let detail = typeof parsed.detail === 'string' ? parsed.detail : `HTTP ${res.status}`;
  // A refused import lists its bad rows: show them, they are what the operator fixes.
  if (Array.isArray(parsed.errors)) {
    const rows = (parsed.errors as { row?: unknown; msg?: unknown }[]).slice(0, 20).map((r) => `row ${String(r.row)}: ${String(r.msg)}`);
    detail = `${detail}; ${rows.join('; ')}`;
  }
  throw new SimedgeError(code, detail);
}

/** GET/POST returning parsed JSON. */
export async function adminJson<T>(t: AdminTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const a = await adminFetch(t, method, path, body === undefined ? undefined : { type: 'application/json', data: JSON.stringify(body) });
  try {
    return JSON.parse(a.text) as T;
  } catch {
    throw new SimedgeError('ADMIN_UNREACHABLE', `${t.url}${path} did not answer JSON`);
  }
}
