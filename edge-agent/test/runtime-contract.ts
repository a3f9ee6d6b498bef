// The runtime contract suite (STYLE.md 12: one contract suite, every backend): the same checks run
// against the process, OCI and Kubernetes runtimes, each from its own runtime-<name>.test.ts which
// supplies a factory. What every runtime must do (types.ts): start resolves only when healthy and
// the endpoint answers POST with handle()'s result; stop removes it; everything carries the
// RunSpec's labels and list() finds it by edge; the instance reports its reservations; code that
// does not compile is DEPLOY_FAILED with the compiler's message as cause and leaves nothing behind.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import { LABEL, type RunSpec, type Runtime } from '../src/runtime/types.js';
import { post } from './helpers.js';

export interface ContractTarget {
  /** A new runtime object working for `edge` (a second call with the same edge = an agent restart). */
  make(edge: string): Runtime;
  /** Per-test bound (container runtimes start in ~1 s, the process runtime in ~50 ms). */
  timeoutMs: number;
}

let seq = 0;
/** A fresh edge id per test: list() must never see another test's instances. */
export function testEdge(): string {
  return `edge-t${process.pid}x${++seq}`;
}

export function contractSpec(edge: string, code: string, over: Partial<RunSpec> = {}): RunSpec {
  const pid = `p-${process.pid}-${++seq}`;
  return {
    pid,
    service: 'fn',
    edge,
    // Values a Kubernetes label could not hold (`/`, `:`), on purpose: list() must return them verbatim.
    labels: { [LABEL.edge]: edge, [LABEL.key]: `${pid}/fn`, [LABEL.service]: 'fn', [LABEL.spec]: 'sha256:0f1e2d' },
    code,
    res: { cpu: 0.5, mem: 48 },
    ...over,
  };
}

/** GET a URL: the status, or the network error code when nothing answers (e.g. ECONNREFUSED). */
export function getStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

const COUNTER = 'function handle(input, state) { state.n = (state.n || 0) + input.add; return { n: state.n, echo: input }; }';

export function runtimeContract(name: string, target: () => ContractTarget): void {
  describe(`runtime contract: ${name}`, () => {
    const made: Runtime[] = [];
    const make = (edge: string): Runtime => {
      const r = target().make(edge);
      made.push(r);
      return r;
    };
    afterEach(async () => {
      for (const r of made.splice(0)) await r.close();
    });
    const t = () => target().timeoutMs;

    it('start resolves healthy; the endpoint answers POST with handle() and keeps state; stop -> gone', async () => {
      const edge = testEdge();
      const r = make(edge);
      const inst = await r.start(contractSpec(edge, COUNTER));
      expect(await getStatus(`${inst.endpoint}healthz`)).toBe(200);
      expect(await post(inst.endpoint, '{"add": 2}')).toEqual({ status: 200, body: { n: 2, echo: { add: 2 } } });
      expect((await post(inst.endpoint, '{"add": 3}')).body).toEqual({ n: 5, echo: { add: 3 } });
      await r.stop(inst);
      expect(await getStatus(`${inst.endpoint}healthz`)).not.toBe(200);
      expect((await r.list()).map((x) => x.id)).not.toContain(inst.id);
      await r.stop(inst); // idempotent
    }, t());

    it('labels everything it starts: list() finds it by edge with the labels verbatim, other edges do not see it', async () => {
      const edge = testEdge();
      const r = make(edge);
      const spec = contractSpec(edge, COUNTER);
      const inst = await r.start(spec);
      const refs = await r.list();
      const ref = refs.find((x) => x.id === inst.id);
      expect(ref?.labels).toEqual(spec.labels);
      expect(await make(testEdge()).list()).toEqual([]);
    }, t());

    it('reports its reservations on the instance (pid, service, res)', async () => {
      const edge = testEdge();
      const r = make(edge);
      const spec = contractSpec(edge, COUNTER, { res: { cpu: 0.25, mem: 40 } });
      const inst = await r.start(spec);
      expect(inst).toMatchObject({ pid: spec.pid, service: 'fn', res: { cpu: 0.25, mem: 40 } });
    }, t());

    it('code that does not compile: DEPLOY_FAILED with the SyntaxError as cause, nothing left behind', async () => {
      const edge = testEdge();
      const r = make(edge);
      const err: unknown = await r.start(contractSpec(edge, 'function handle( {')).catch((e: unknown) => e);
      expect(isSimedgeError(err) && err.code).toBe('DEPLOY_FAILED');
      expect(String((err as Error).message)).toMatch(/fn does not compile: SyntaxError/);
      expect(await r.list()).toEqual([]);
    }, t());

    it('adopt() hands a listed instance back as running; remove() ends it', async () => {
      const edge = testEdge();
      const r = make(edge);
      const inst = await r.start(contractSpec(edge, COUNTER));
      expect((await post(inst.endpoint, '{"add": 1}')).body).toMatchObject({ n: 1 });
      const ref = (await r.list()).find((x) => x.id === inst.id);
      if (!ref) throw new Error('list() did not find the started instance');
      const adopted = await r.adopt(ref);
      expect(adopted?.endpoint).toBe(inst.endpoint);
      // The same process, not a restart: its state is still there.
      expect((await post(inst.endpoint, '{"add": 1}')).body).toMatchObject({ n: 2 });
      await r.remove(ref);
      expect(await getStatus(`${inst.endpoint}healthz`)).not.toBe(200);
      expect(await r.list()).toEqual([]);
      await r.remove(ref); // already gone: a no-op
    }, t());

    it('close() removes everything it started', async () => {
      const edge = testEdge();
      const r = make(edge);
      const a = await r.start(contractSpec(edge, COUNTER));
      const b = await r.start(contractSpec(edge, COUNTER));
      await r.close();
      expect(await getStatus(`${a.endpoint}healthz`)).not.toBe(200);
      expect(await getStatus(`${b.endpoint}healthz`)).not.toBe(200);
      expect(await make(edge).list()).toEqual([]);
    }, t());
  });
}
