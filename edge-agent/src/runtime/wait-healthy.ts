// Readiness for runtimes whose instance comes up behind a port that exists before the process
// listens (a published container port, a pod's host port): probe /healthz until it answers 200,
// the instance is gone, or the start-up bound runs out. The process runtime does not need this:
// its host says when it listens.
import { probeHttp } from './probe.js';

/** Resolve once `url` answers 200; reject if `gone` settles first or `timeoutMs` passes. */
export async function waitHealthy(url: string, timeoutMs: number, gone: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let over = false;
  let reason: unknown;
  // `gone` may reject or resolve: either way the instance cannot become healthy any more.
  const ended = gone.then(
    (v) => ((over = true), (reason = v)),
    (e: unknown) => ((over = true), (reason = e)),
  );
  let delay = 10;
  let last: unknown;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`not healthy within ${timeoutMs} ms${last instanceof Error ? ` (last: ${last.message})` : ''}`);
    try {
      await probeHttp(url, Math.min(left, 2000));
      return;
    } catch (e) {
      last = e;
    }
    if (over) throw reason instanceof Error ? reason : new Error('instance ended before it was healthy');
    // Back off between probes: a refused connection answers at once, the port exists before the
    // host listens, and there is no event to wait on from outside the container.
    await Promise.race([new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now())))), ended]);
    if (over) throw reason instanceof Error ? reason : new Error('instance ended before it was healthy');
    delay = Math.min(delay * 2, 200);
  }
}
