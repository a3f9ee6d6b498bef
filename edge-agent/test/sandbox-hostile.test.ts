// Hostile `fn` functions against the real process runtime (real child processes, real HTTP). For
// every attack, two instances run side by side: the hostile one and a well-behaved one. Each
// attack must fail (or end only the hostile instance, with a clear cause) while the well-behaved
// instance keeps answering correctly and the agent-side runtime keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import { ProcessRuntime } from '../src/runtime/process.js';
import type { ExitInfo, Instance, RunSpec } from '../src/runtime/types.js';
import { alive, post } from './helpers.js';

const CALL_MS = 200;
let rt: ProcessRuntime;
let good: Instance;
let goodCalls = 0;
const exits: Array<{ inst: Instance; info: ExitInfo }> = [];
let exitWaiters: Array<() => void> = [];

const spec = (code: string, mem = 16): RunSpec => ({
  pid: 'sandbox', service: 'fn', edge: 'edge-sandbox', labels: {}, code, res: { cpu: 0, mem },
});

const GOOD = `function handle(input, state) {
  state.n = (state.n || 0) + 1;
  return { n: state.n, sum: input.a + input.b, sorted: [3, 1, 2].sort(), keys: Object.keys({ x: 1 }),
    json: JSON.stringify({ a: [1] }), proto: ({}).polluted === undefined, map: [1, 2].map((x) => x * 2) };
}`;

/** The well-behaved instance still answers exactly as it should, and is still the same process. */
async function goodStillFine(): Promise<void> {
  goodCalls++;
  const r = await post(good.endpoint, '{"a": 2, "b": 3}');
  expect(r).toEqual({
    status: 200,
    body: { n: goodCalls, sum: 5, sorted: [1, 2, 3], keys: ['x'], json: '{"a":[1]}', proto: true, map: [2, 4] },
  });
  expect(alive(good.osPid ?? -1)).toBe(true);
}

function exitOf(inst: Instance): Promise<ExitInfo> {
  return new Promise((resolve) => {
    const check = () => {
      const e = exits.find((x) => x.inst.id === inst.id);
      if (e) resolve(e.info);
      else exitWaiters.push(check);
    };
    check();
  });
}

async function startFails(code: string, mem = 16): Promise<string> {
  const e = await rt.start(spec(code, mem)).then(() => undefined, (x: unknown) => x);
  expect(isSimedgeError(e) && e.code).toBe('DEPLOY_FAILED');
  return String((e as Error).message);
}

beforeAll(async () => {
  rt = new ProcessRuntime({ callTimeoutMs: CALL_MS });
  rt.onExit = (inst, info) => {
    exits.push({ inst, info });
    const w = exitWaiters;
    exitWaiters = [];
    for (const f of w) f();
  };
  good = await rt.start(spec(GOOD));
  await goodStillFine();
});

afterAll(async () => {
  await rt.close();
  // Only the instances the memory bombs killed may have exited on their own; never the good one.
  expect(exits.map((e) => e.inst.id)).not.toContain(good.id);
});

describe('sandbox: CPU', () => {
  it('an infinite loop, a microtask loop and a catastrophic regex in handle time out; the instance keeps serving', async () => {
    const h = await rt.start(spec(`function handle(input) {
      if (input.k === 'loop') for (;;) {}
      if (input.k === 'micro') { (function f() { Promise.resolve().then(f); })(); return 'queued'; }
      if (input.k === 'regex') return /(a+)+$/.test('a'.repeat(40) + 'b');
      return 'ok';
    }`));
    for (const k of ['loop', 'micro', 'regex']) {
      expect(await post(h.endpoint, JSON.stringify({ k }))).toEqual({ status: 500, body: { code: 'FN_ERROR', msg: `Error: Script execution timed out after ${CALL_MS}ms` } });
    }
    expect(await post(h.endpoint, '{}')).toEqual({ status: 200, body: 'ok' });
    await goodStillFine();
    await rt.stop(h);
  });

  it('an infinite loop at top level fails the start within the call bound', async () => {
    expect(await startFails('for (;;) {}')).toMatch(/top-level code failed: Error: Script execution timed out/);
    await goodStillFine();
  });
});

describe('sandbox: memory', () => {
  it('a heap bomb in handle kills only its own process, with the V8 heap message as the cause', async () => {
    const h = await rt.start(spec('function handle() { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }'));
    const exited = exitOf(h);
    await post(h.endpoint, '{}').catch(() => undefined); // the connection dies with the process
    const info = await exited;
    expect(info.code !== 0 || info.signal !== null).toBe(true);
    expect(info.stderr).toMatch(/^heap limit of 16 MB exhausted \(JavaScript heap out of memory\)/);
    expect(alive(h.osPid ?? -1)).toBe(false);
    await goodStillFine();
  });

  it('a heap bomb at top level fails the start (V8 aborts the process at its heap limit)', async () => {
    // V8 aborts (SIGABRT) and prints "JavaScript heap out of memory" before a long native stack
    // dump; the runtime spots the mark while the stderr streams and names the limit instead.
    expect(await startFails('const a = []; for (;;) a.push(new Array(1e5).fill(1));', 16)).toMatch(/exited before ready \(signal SIGABRT\): heap limit of 16 MB exhausted/);
    await goodStillFine();
  });

  it('memory outside the V8 heap (ArrayBuffer, typed arrays, WebAssembly.Memory) is not available', async () => {
    const h = await rt.start(spec(`function handle() {
      const tries = [() => new ArrayBuffer(2 ** 31), () => new Float64Array(2 ** 28), () => new SharedArrayBuffer(2 ** 31),
        () => new WebAssembly.Memory({ initial: 65536 }), () => new DataView(null)];
      return tries.map((f) => { try { f(); return 'allocated'; } catch (e) { return e.name; } });
    }`));
    expect((await post(h.endpoint, '{}')).body).toEqual(Array(5).fill('ReferenceError'));
    await rt.stop(h);
    await goodStillFine();
  });

  it('a huge result is FN_ERROR (1 MiB cap) and the instance keeps serving', async () => {
    const h = await rt.start(spec('function handle(i) { return i.big ? "x".repeat(2 * 1024 * 1024) : "small"; }', 64));
    expect(await post(h.endpoint, '{"big": true}')).toEqual({ status: 500, body: { code: 'FN_ERROR', msg: 'result over 1048576 bytes' } });
    expect(await post(h.endpoint, '{}')).toEqual({ status: 200, body: 'small' });
    await rt.stop(h);
    await goodStillFine();
  });
});

describe('sandbox: no file system, network or host objects', () => {
  it('none of Node\'s globals exist in the function\'s realm', async () => {
    const names = ['process', 'require', 'module', 'exports', '__filename', '__dirname', 'Buffer', 'fetch', 'XMLHttpRequest',
      'WebSocket', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'structuredClone', 'console', 'performance',
      'TextEncoder', 'URL', 'navigator', 'Deno', 'Bun', 'FinalizationRegistry', 'WeakRef', 'Atomics'];
    const h = await rt.start(spec(`function handle(input) { return input.names.filter((n) => typeof globalThis[n] !== 'undefined'); }`));
    expect(await post(h.endpoint, JSON.stringify({ names }))).toEqual({ status: 200, body: [] });
    await rt.stop(h);
    await goodStillFine();
  });

  it('every constructor route to the host\'s Function fails (code generation is off in the function\'s realm)', async () => {
    const h = await rt.start(spec(`function handle() {
      const routes = {
        thisCtor: () => this.constructor.constructor('return process')(),
        globalCtor: () => globalThis.constructor.constructor('return process')(),
        handleCtor: () => handle.constructor('return process')(),
        stateCtor: () => ({}).constructor.constructor('return process')(),
        asyncCtor: () => (async function () {}).constructor('return process')(),
        genCtor: () => (function* () {}).constructor('return process')().next(),
        reflect: () => Reflect.construct(Function, ['return process'])(),
        evalCall: () => eval('process'),
        indirectEval: () => (0, eval)('process'),
        protoOfGlobal: () => Object.getPrototypeOf(globalThis).constructor.constructor('return process')(),
        errorCtor: () => { try { null.x; } catch (e) { return e.constructor.constructor('return process')(); } },
      };
      const out = {};
      for (const k of Object.keys(routes)) { try { const v = routes[k](); out[k] = typeof v === 'object' && v !== null && 'pid' in v ? 'ESCAPED' : 'no process: ' + typeof v; } catch (e) { out[k] = e.name; } }
      return out;
    }`));
    const r = await post(h.endpoint, '{}');
    expect(r.status).toBe(200);
    const outcomes = Object.values(r.body as Record<string, string>);
    expect(outcomes).toHaveLength(11);
    expect(outcomes.every((o) => o === 'EvalError')).toBe(true);
    await rt.stop(h);
    await goodStillFine();
  });

  it('stack-trace hooks and caller chains reach nothing of the host', async () => {
    const h = await rt.start(spec(`function handle() {
      Error.prepareStackTrace = (e, frames) => frames; // frozen: ignored in sloppy code
      const stack = typeof new Error('x').stack;
      let strictSet; try { (function () { 'use strict'; Error.prepareStackTrace = () => 1; })(); strictSet = 'set'; } catch (e) { strictSet = e.name; }
      return { stack, strictSet, caller: handle.caller === null, pst: Error.prepareStackTrace === undefined };
    }`));
    expect((await post(h.endpoint, '{}')).body).toEqual({ stack: 'string', strictSet: 'TypeError', caller: true, pst: true });
    await rt.stop(h);
    await goodStillFine();
  });

  it('import() (the one route to Node\'s module loader) is refused before the code runs', async () => {
    expect(await startFails('function handle() { return import("node:fs").then((fs) => fs.readFileSync("/etc/passwd", "utf8")); }')).toMatch(/must not contain the word "import"/);
    expect(await startFails('function handle() { return import /* hidden */ ("node:net"); }')).toMatch(/import/);
    // Conservative: the word is refused anywhere, also in a string.
    expect(await startFails('function handle() { return "import"; }')).toMatch(/import/);
    await goodStillFine();
  });
});

describe('sandbox: tampering with built-ins', () => {
  it('changes to Object, Array and JSON fail where they are attempted and never reach later calls or the host', async () => {
    const h = await rt.start(spec(`function handle(input) {
      if (input.k === 'sloppy') {
        Object.prototype.polluted = 'yes';
        Array.prototype.map = function () { return 'hijacked'; };
        JSON.stringify = function () { return '"hijacked"'; };
        JSON.parse = function () { return { hijacked: true }; };
        Object = null; JSON = null; Array = null;
        delete Object.prototype.hasOwnProperty;
        return 'tried';
      }
      if (input.k === 'strict') {
        const attempts = [
          () => { 'use strict'; Object.prototype.polluted = 'yes'; },
          () => { 'use strict'; Object.defineProperty(Object.prototype, 'toJSON', { value: () => 'hijacked' }); },
          () => { 'use strict'; Array.prototype.push = null; },
          () => { 'use strict'; JSON.stringify = null; },
          () => { 'use strict'; Object.setPrototypeOf(Array.prototype, null); },
          () => { 'use strict'; globalThis.JSON = null; },
          () => { 'use strict'; __simedge = null; },
          () => { 'use strict'; __simedge.call = null; },
        ];
        return attempts.map((f) => { try { f(); return 'changed'; } catch (e) { return e.name; } });
      }
      return { polluted: ({}).polluted, map: [1, 2].map((x) => x + 1), json: typeof JSON.stringify, hasOwn: typeof ({}).hasOwnProperty, echo: input };
    }`));
    expect(await post(h.endpoint, '{"k": "sloppy"}')).toEqual({ status: 200, body: 'tried' });
    expect((await post(h.endpoint, '{"k": "strict"}')).body).toEqual(Array(8).fill('TypeError'));
    expect(await post(h.endpoint, '{"k": "check", "v": [1]}')).toEqual({
      status: 200, body: { map: [2, 3], json: 'function', hasOwn: 'function', echo: { k: 'check', v: [1] } },
    });
    // The host realm still parses bodies itself.
    expect(await post(h.endpoint, '{"k": ')).toEqual({ status: 400, body: { code: 'FN_BAD_INPUT', msg: 'body is not JSON' } });
    await rt.stop(h);
    await goodStillFine();
  });

  it('ordinary code on frozen built-ins still works (own toString, Error subclasses setting name)', async () => {
    const h = await rt.start(spec(`
      class MeterError extends Error { constructor(m) { super(m); this.name = 'MeterError'; } }
      function Reading(v) { this.v = v; }
      Reading.prototype.toString = function () { return 'reading ' + this.v; };
      function handle(input) {
        if (input.fail) throw new MeterError('bad meter');
        const o = {}; o.valueOf = () => 41;
        return { s: String(new Reading(3)), v: o + 1, m: new Map([[1, 2]]).get(1) };
      }`));
    expect((await post(h.endpoint, '{}')).body).toEqual({ s: 'reading 3', v: 42, m: 2 });
    expect(await post(h.endpoint, '{"fail": true}')).toEqual({ status: 500, body: { code: 'FN_ERROR', msg: 'MeterError: bad meter' } });
    await rt.stop(h);
    await goodStillFine();
  });
});

describe('sandbox: what a function throws', () => {
  it('non-Error values, unprintable values and hostile getters become bounded FN_ERROR messages', async () => {
    const h = await rt.start(spec(`function handle(input) {
      switch (input.k) {
        case 'number': throw 42;
        case 'null': throw null;
        case 'symbol': throw Symbol('s');
        case 'nullproto': throw Object.create(null);
        case 'loopToString': throw { toString() { for (;;) {} } };
        case 'proxy': throw new Proxy({}, { get() { for (;;) {} }, getPrototypeOf() { for (;;) {} } });
        case 'longMessage': throw new Error('m'.repeat(1e6));
        case 'rejection': Promise.reject(new Error('nobody listens')); return 'still here';
        case 'recurse': return __simedge.call();
      }
    }`));
    const msg = async (k: string) => {
      const r = await post(h.endpoint, JSON.stringify({ k }));
      return r.status === 500 ? (r.body as { msg: string }).msg : `status ${r.status}: ${JSON.stringify(r.body)}`;
    };
    expect(await msg('number')).toBe('threw number 42');
    expect(await msg('null')).toBe('threw object null');
    expect(await msg('symbol')).toBe('threw symbol Symbol(s)');
    expect(await msg('nullproto')).toBe('threw a value that cannot be printed');
    expect(await msg('loopToString')).toMatch(/timed out/);
    expect(await msg('proxy')).toMatch(/timed out/);
    expect(await msg('longMessage')).toHaveLength('Error: '.length + 249);
    expect(await post(h.endpoint, '{"k": "rejection"}')).toEqual({ status: 200, body: 'still here' });
    // Calling the glue from inside only runs the function's own glue on an empty slot.
    expect(await post(h.endpoint, '{"k": "recurse"}')).toEqual({ status: 200, body: expect.stringMatching(/^!SyntaxError/) });
    expect(alive(h.osPid ?? -1)).toBe(true);
    await rt.stop(h);
    await goodStillFine();
  });

  it('a hostile value thrown at top level fails the start quickly instead of hanging the host', async () => {
    // The message is the host's own print deadline, not the runtime's start timeout.
    expect(await startFails('throw { toString() { for (;;) {} } };')).toMatch(/top-level code failed: threw a value that could not be printed in time/);
    expect(await startFails('throw 7;')).toMatch(/top-level code failed: threw number 7/);
    expect(await startFails('var handle = 1;')).toMatch(/must define function handle/);
    await goodStillFine();
  });
});
