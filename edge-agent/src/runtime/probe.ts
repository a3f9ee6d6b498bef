// Readiness probe: a single GET over a fresh connection (no keep-alive pool, so nothing holds the
// agent's event loop open afterwards). Readiness is only reported after this answered 200.
import { get } from 'node:http';

/** Resolve when `url` answers 200 within `timeoutMs`; reject with the reason otherwise. */
export function probeHttp(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`health check ${url} answered ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error(`health check ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
