// Streaming download of one artefact into a temp file, refusing it as early as possible: a
// Content-Length or a running byte count over the declared size (or the edge's limit) aborts the
// transfer at once, and the SHA-256 is computed while the bytes arrive and checked before the
// caller may rename the file under its digest. Hostile servers are the normal case here.
import { open, rm } from 'node:fs/promises';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { newHash } from './digest.js';

/** The part of a WHATWG fetch Response this module reads (the global fetch satisfies it). */
export interface FetchResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}

/** A fetch function; the default is the global fetch (HTTP and HTTPS). */
export type Fetcher = (url: string, init: { signal: AbortSignal; redirect: 'follow' }) => Promise<FetchResponse>;

export interface DownloadJob {
  url: string;
  hex: string;
  /** Declared size in bytes; the body must be exactly this long. */
  size: number;
  /** Where to write; removed again on any failure. */
  temp: string;
  fetch: Fetcher;
  timeoutMs: number;
}

function schemeOk(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function why(e: unknown): string {
  if (e instanceof Error) {
    const c = (e as Error & { cause?: unknown }).cause;
    return c instanceof Error ? `${e.message}: ${c.message}` : e.message;
  }
  return String(e);
}

/** Download `job.url` into `job.temp`, verified and fsynced. Throws ARTEFACT_* SimedgeErrors. */
export async function download(job: DownloadJob): Promise<void> {
  if (!schemeOk(job.url)) throw new SimedgeError('ARTEFACT_FETCH_FAILED', `only http and https URLs are fetched: ${job.url.slice(0, 120)}`);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no complete body within ${job.timeoutMs} ms`)), job.timeoutMs);
  const file = await open(job.temp, 'wx', 0o444);
  let ok = false;
  try {
    let res: FetchResponse;
    try {
      res = await job.fetch(job.url, { signal: abort.signal, redirect: 'follow' });
    } catch (e) {
      throw new SimedgeError('ARTEFACT_FETCH_FAILED', `${job.url}: ${why(abort.signal.aborted ? abort.signal.reason : e)}`);
    }
    if (!res.ok || res.body === null) throw new SimedgeError('ARTEFACT_FETCH_FAILED', `${job.url}: HTTP ${res.status}`);
    const declared = res.headers.get('content-length');
    if (declared !== null && Number(declared) > job.size) {
      throw new SimedgeError('ARTEFACT_TOO_LARGE', `${job.url}: Content-Length ${declared} over the declared size ${job.size}`);
    }
    const hash = newHash();
    let got = 0;
    try {
      for await (const chunk of res.body) {
        got += chunk.length;
        if (got > job.size) throw new SimedgeError('ARTEFACT_TOO_LARGE', `${job.url}: body passes the declared size ${job.size}`);
        hash.update(chunk);
        await file.write(chunk);
      }
    } catch (e) {
      if (e instanceof SimedgeError) throw e;
      throw new SimedgeError('ARTEFACT_FETCH_FAILED', `${job.url}: body failed after ${got} bytes: ${why(abort.signal.aborted ? abort.signal.reason : e)}`);
    }
    if (got < job.size) throw new SimedgeError('ARTEFACT_FETCH_FAILED', `${job.url}: truncated, ${got} of ${job.size} bytes`);
    const hex = hash.digest('hex');
    if (hex !== job.hex) throw new SimedgeError('ARTEFACT_DIGEST_MISMATCH', `${job.url}: got sha256 ${hex}, want ${job.hex}`);
    await file.sync();
    ok = true;
  } finally {
    clearTimeout(timer);
    // Stops the transfer if we left the body early (too large, write error).
    if (!ok) abort.abort(new Error('download refused'));
    await file.close();
    if (!ok) await rm(job.temp, { force: true });
  }
}
