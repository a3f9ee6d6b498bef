// The process runtime and the fn host on their own: real child processes, real HTTP. These are
// the checks every runtime must pass (start -> healthy endpoint, stop -> gone) plus the fn
// contract (state, errors, bad input, time bound) and failures that happen after readiness.
import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import type { ExitInfo, Instance, RunSpec } from '../src/index.js';
import { alive, post } from './helpers.js';
import { processRuntimes } from './process-harness.js';

const runtime = processRuntimes();

const spec = (code: string, mem = 16): RunSpec => ({
  pid: 'p1', service: 'fn', edge: 'e1', labels: { 'simedge.edge': 'e1', 'simedge.key': 'p1/fn', 'simedge.service': 'fn' }, code, res: { cpu: 0, mem },
});

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject).end();
  });
}

describe('process runtime: fn contract', () => {
  it('serves /healthz, keeps per-instance state, and separate instances do not share it', async () => {
    const r = runtime();
    const code = 'function handle(input, state) { state.n = (state.n || 0) + input.add; return state.n; }';
    const a = await r.start(spec(code));
    const b = await r.start(spec(code));
    expect(await get(`${a.endpoint}healthz`)).toBe(200);
    expect((await post(a.endpoint, '{"add": 2}')).body).toBe(2);
    expect((await post(a.endpoint, '{"add": 3}')).body).toBe(5);
    expect((await post(b.endpoint, '{"add": 1}')).body).toBe(1);
  });

  it('answers 400 FN_BAD_INPUT to a body that is not JSON, 404 elsewhere, and undefined as null', async () => {
    const r = runtime();
    const i = await r.start(spec('function handle() {}'));
    expect(await post(i.endpoint, '{"kwh": ')).toEqual({ status: 400, body: { code: 'FN_BAD_INPUT', msg: 'body is not JSON' } });
    expect(await post(`${i.endpoint}other`, '{}')).toMatchObject({ status: 404 });
    expect(await post(i.endpoint, '{}')).toEqual({ status: 200, body: null });
  });

  it('bounds a call in time (vm timeout) and keeps serving afterwards', async () => {
    const r = runtime({ callTimeoutMs: 100 });
    const i = await r.start(spec('function handle(input) { if (input.spin) for (;;) {} return "ok"; }'));
    const res = await post(i.endpoint, '{"spin": true}');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'FN_ERROR', msg: expect.stringMatching(/timed out/) });
    expect(await post(i.endpoint, '{}')).toEqual({ status: 200, body: 'ok' });
  });

  it('gives the function no host capabilities (no process, require, eval)', async () => {
    const r = runtime();
    const i = await r.start(spec(`function handle() {
      let ev; try { eval('1'); ev = 'eval works'; } catch (e) { ev = e.name; }
      return [typeof process, typeof require, typeof Buffer, typeof setTimeout, ev];
    }`));
    expect((await post(i.endpoint, '{}')).body).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'EvalError']);
  });

  it('a result JSON cannot encode is FN_ERROR, not a crash', async () => {
    const r = runtime();
    const i = await r.start(spec('function handle() { const o = {}; o.self = o; return o; }'));
    expect(await post(i.endpoint, '{}')).toMatchObject({ status: 500, body: { code: 'FN_ERROR' } });
  });
});

describe('process runtime: lifecycle', () => {
  it('stop() ends the process (SIGTERM) and is idempotent', async () => {
    const r = runtime();
    const i = await r.start(spec('function handle() { return 1; }'));
    const pid = i.osPid ?? -1;
    expect(alive(pid)).toBe(true);
    await r.stop(i);
    expect(alive(pid)).toBe(false);
    await r.stop(i);
  });

  it('rejects start with DEPLOY_FAILED and the stderr tail when the code does not compile', async () => {
    const r = runtime();
    const err: unknown = await r.start(spec('function handle( {')).catch((e: unknown) => e);
    expect(isSimedgeError(err) && err.code).toBe('DEPLOY_FAILED');
    expect(String((err as Error).message)).toMatch(/exited before ready \(code 1\): fn does not compile: SyntaxError/);
  });

  it('fails start when top-level code never finishes (bounded by the call timeout)', async () => {
    const r = runtime({ callTimeoutMs: 100 });
    const err: unknown = await r.start(spec('for (;;) {}')).catch((e: unknown) => e);
    expect(isSimedgeError(err) && err.code).toBe('DEPLOY_FAILED');
    expect(String((err as Error).message)).toMatch(/timed out/);
  });

  it('reports an instance that dies after readiness (heap limit) through onExit', async () => {
    const r = runtime();
    const exited = new Promise<{ inst: Instance; info: ExitInfo }>((resolve) => {
      r.onExit = (inst, info) => resolve({ inst, info });
    });
    const i = await r.start(spec('function handle() { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }', 16));
    // The request dies with the process; its outcome is not the point here.
    await post(i.endpoint, '{}').catch(() => undefined);
    const { inst, info } = await exited;
    expect(inst.id).toBe(i.id);
    expect(info.code !== 0 || info.signal !== null).toBe(true);
    expect(alive(i.osPid ?? -1)).toBe(false);
  });

  it('close() also kills instances that are still starting', async () => {
    const r = runtime({ callTimeoutMs: 5000, startTimeoutMs: 10_000 });
    // Top-level code that spins keeps the instance in "starting" until close() kills it.
    const starting = r.start(spec('for (;;) {}')).catch((e: unknown) => e);
    const ready = await r.start(spec('function handle() { return 1; }'));
    await r.close();
    expect(isSimedgeError(await starting)).toBe(true);
    expect(alive(ready.osPid ?? -1)).toBe(false);
  });
});

describe('process runtime: adoption contract (list / adopt / remove)', () => {
  it('lists its hosts by scope with their labels; another runtime of the same scope removes them, one of another scope does not see them', async () => {
    const scope = `test-${process.pid}-${Date.now()}`;
    const a = runtime({ scope });
    const inst = await a.start(spec('function handle() { return 1; }'));
    expect(await a.list()).toEqual([expect.objectContaining({ osPid: inst.osPid, labels: expect.objectContaining({ 'simedge.key': 'p1/fn' }) })]);
    expect(await a.adopt((await a.list())[0]!)).toEqual(inst);
    expect(await runtime({ scope: `${scope}-other` }).list()).toEqual([]);
    const b = runtime({ scope });
    // b sees every host of the scope: the instance and, when a keeps a warm standby, that host too
    // (a standby of a dead agent is reaped like any other). The order is not part of the contract.
    const seen = await b.list();
    const ref = seen.find((r) => r.osPid === inst.osPid);
    expect(ref?.labels).toEqual(expect.objectContaining({ 'simedge.key': 'p1/fn' }));
    expect(seen.filter((r) => r.osPid !== inst.osPid).every((r) => Object.keys(r.labels).length === 0)).toBe(true);
    // A host of another agent process cannot be re-attached (its IPC lifeline is not ours)...
    expect(await b.adopt(ref!)).toBeUndefined();
    // ...so it is removed. Its parent (this test process, playing the dead agent) sees it end.
    const ended = new Promise<ExitInfo>((resolve) => {
      a.onExit = (_i, info) => resolve(info);
    });
    await b.remove(ref!);
    expect((await ended).signal).toBe('SIGTERM');
    expect(alive(inst.osPid ?? -1)).toBe(false);
    expect(await a.list()).toEqual([]);
  });
});
