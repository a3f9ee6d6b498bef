// @ts-check
// fn host: the process that runs ONE edge function (`fn` service) - a child of the agent in the
// process runtime, PID 1 of a container in the OCI and Kubernetes runtimes.
//
// Plain ES module JavaScript on purpose: it runs with bare `node` (no tsx, no loaders, no
// node_modules), which keeps start-up around 50 ms and lets it run under Node's permission model
// with read access to this one file only.
//
// Inputs. argv[2] listen address (or env SIMEDGE_FN_HOST; default 127.0.0.1), argv[3] time bound
// of one call in ms (or env SIMEDGE_FN_TIMEOUT_MS; default 1000), env SIMEDGE_FN_PORT (default 0:
// the OS picks). The code comes from the first of:
//   env SIMEDGE_FN_CODE_FILE   path of a file holding the UTF-8 source (containers: a mounted file)
//   env SIMEDGE_FN_SRC         base64 of the UTF-8 source (removed from the environment at once)
//   IPC {t:'code', src, port?} from the agent over child_process.fork's channel (never in argv:
//                              ps would show it); port, when given, replaces SIMEDGE_FN_PORT
// Outputs. {t:'hello'} over IPC once ready for the code (the agent may move us into a cgroup
// first); {t:'listening', port, perm} over IPC when there is a channel, else the same JSON as one
// line on stdout; compile/listen failure -> reason on stderr, exit code 1 (the agent reports the
// stderr tail); IPC channel closed (agent gone) -> exit, so a crashed agent leaves no orphans.
//
// HTTP contract (README "The fn contract"): `POST /` with a JSON body calls handle(input, state)
// and answers 200 with the JSON of the result; errors are 500 FN_ERROR / 400, 413 FN_BAD_INPUT;
// `GET /healthz` -> 200.
//
// The sandbox (README "Sandbox"). node:vm alone is NOT a security boundary; these walls are, in
// depth order:
//   1. The function only ever sees its own realm: a fresh vm context with JavaScript built-ins and
//      nothing of Node. No host object ever crosses into it (input travels as a string, errors are
//      formatted inside), because a host object's `.constructor.constructor` is the host's Function
//      and code generation is only disabled in the function's realm.
//   2. Source containing the word `import` is refused: `import()` is syntax (no global to remove)
//      and Node 20 answers it with host-realm objects - a full escape.
//   3. Lockdown at start-up, before the code even arrives (prepareRealm): every reachable
//      intrinsic is frozen and the global bindings of built-ins are read-only, so tampering (Object.prototype, JSON, Array) fails
//      where it is attempted and cannot leak into later calls or into this file's glue;
//      Error.prepareStackTrace cannot be set. Off-heap memory (ArrayBuffer, typed arrays,
//      SharedArrayBuffer, WebAssembly) is removed so the V8 heap cap bounds ALL memory;
//      FinalizationRegistry/WeakRef are removed (their callbacks would run outside the time bound).
//   4. Every evaluation of user code, including formatting what it throws and encoding what it
//      returns, runs inside runInContext with the timeout (and microtasks with it). The host never
//      reads a property of a user value, so no getter or Proxy trap runs untimed.
//   5. The OS process: --max-old-space-size from res.mem (a memory bomb kills this process only),
//      an empty environment, and - when started with --experimental-permission and
//      --allow-fs-read=<this file> - no file system, child processes or workers even if 1-4 fail.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import vm from 'node:vm';

const HOST = process.argv[2] ?? process.env.SIMEDGE_FN_HOST ?? '127.0.0.1';
const TIMEOUT_MS = Number(process.argv[3] ?? process.env.SIMEDGE_FN_TIMEOUT_MS ?? 1000);
const PORT = Number(process.env.SIMEDGE_FN_PORT ?? 0);
const MAX_BODY = 64 * 1024;
/** Result cap: a function cannot make the host buffer or send more than this. */
const MAX_RESULT = 1024 * 1024;
/** Source cap (inline art is ≤ 4 KiB; downloaded artefacts may be larger). */
const MAX_SRC = 4 * 1024 * 1024;
const MAX_MSG = 256;

/** Globals removed from the function's realm (see wall 3 above). */
const REMOVED = [
  'console', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'ArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'FinalizationRegistry', 'WeakRef',
];

/** @param {string} msg */
function fatal(msg) {
  process.stderr.write(`${msg}\n`, () => process.exit(1));
}

/**
 * Runs inside the function's realm, BEFORE any user code: captures the intrinsics the glue needs,
 * removes the off-heap and untimed built-ins, freezes every reachable intrinsic (with the usual
 * override taming so `obj.toString = f` and `this.name = 'MyError'` still work on user objects),
 * makes the built-in global bindings read-only and defines the glue as a global `const` (user code
 * can call it - that only runs itself - but cannot replace it).
 * The glue speaks strings only: put(json) stores the input, call() returns the result JSON or
 * '!' + message (JSON never starts with '!'); describe() formats a stored thrown value.
 */
const LOCKDOWN = `
'use strict';
const __simedge = (() => {
  const G = globalThis;
  const { freeze, getPrototypeOf, getOwnPropertyDescriptor, defineProperty, getOwnPropertyNames } = Object;
  const ownKeys = Reflect.ownKeys;
  const { parse, stringify } = JSON;
  const Err = Error, Str = String, TE = TypeError;
  const slice = Function.prototype.call.bind(String.prototype.slice);
  const MAX_RESULT = ${MAX_RESULT}, MAX_MSG = ${MAX_MSG};

  for (const n of ${JSON.stringify(REMOVED)}) delete G[n];

  // Override taming: turn these data properties into accessors whose setter defines an own
  // property on the target, so freezing the prototype does not break plain assignments.
  const tame = (o, k) => {
    const d = getOwnPropertyDescriptor(o, k);
    if (!d || !('value' in d) || !d.configurable) return;
    const value = d.value;
    defineProperty(o, k, {
      get() { return value; },
      set(v) {
        if (this === o) throw new TE('Cannot assign to read only property ' + Str(k) + ' of a frozen built-in');
        defineProperty(this, k, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable, configurable: false,
    });
  };
  for (const k of ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable']) tame(Object.prototype, k);
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) {
    for (const k of ['constructor', 'name', 'message', 'toString']) tame(E.prototype, k);
  }
  for (const k of ['constructor', 'toString']) { tame(Function.prototype, k); tame(Array.prototype, k); tame(Promise.prototype, k); }

  // Every intrinsic, including those not named by a global (iterator and generator prototypes,
  // %TypedArray% is gone with the typed arrays, %ThrowTypeError%).
  const roots = [
    getPrototypeOf(G),
    getPrototypeOf(function* () {}), getPrototypeOf(async function () {}), getPrototypeOf(async function* () {}),
    (function* () {})(), (async function* () {})(),
    [][Symbol.iterator](), new Map().entries(), new Set().values(), ''[Symbol.iterator](), /x/[Symbol.matchAll](''),
    getOwnPropertyDescriptor(Function.prototype, 'caller').get,
  ];
  const names = getOwnPropertyNames(G);
  for (const n of names) roots.push(G[n]);
  const seen = new Set([G]);
  while (roots.length > 0) {
    const o = roots.pop();
    if ((typeof o !== 'object' && typeof o !== 'function') || o === null || seen.has(o)) continue;
    seen.add(o);
    freeze(o);
    roots.push(getPrototypeOf(o));
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      roots.push(d.value, d.get, d.set);
    }
  }
  for (const n of names) {
    const d = getOwnPropertyDescriptor(G, n);
    if (d && d.configurable) defineProperty(G, n, { value: G[n], writable: false, enumerable: d.enumerable, configurable: false });
  }

  const text = (e) => {
    try {
      const t = e instanceof Err ? Str(e.name) + ': ' + Str(e.message)
        : typeof e === 'object' && e !== null ? Str(e) : 'threw ' + typeof e + ' ' + Str(e);
      return slice(t, 0, MAX_MSG);
    } catch (_) {
      return 'threw a value that cannot be printed';
    }
  };
  const state = {};
  let slot;
  return freeze({
    put(v) { slot = v; },
    call() {
      const json = slot;
      slot = undefined;
      try {
        if (typeof handle !== 'function') return '!handle is not a function';
        const r = handle(parse(json), state);
        const out = r === undefined ? 'null' : stringify(r);
        if (typeof out !== 'string') return '!result is not JSON';
        if (out.length > MAX_RESULT) return '!result over ' + MAX_RESULT + ' bytes';
        return out;
      } catch (e) {
        return '!' + text(e);
      }
    },
    describe() {
      const e = slot;
      slot = undefined;
      return text(e);
    },
  });
})();
`;

/**
 * The function's realm, locked down before the code arrives: the lockdown does not depend on the
 * code, so it runs during start-up (a standby host has it done before it is used, and it is not
 * charged to the instance's CPU quota). No user code has run in it when compile() takes it.
 * @returns {{context: vm.Context, glue: {put(v: unknown): void}, describe: vm.Script, call: vm.Script}}
 */
function prepareRealm() {
  const context = vm.createContext(Object.create(null), {
    name: 'fn',
    codeGeneration: { strings: false, wasm: false },
    // Promise jobs queued by the function run inside the timed evaluation, not after it.
    microtaskMode: 'afterEvaluate',
  });
  /** @type {{put(v: unknown): void}} */
  const glue = new vm.Script(`${LOCKDOWN}; __simedge;`, { filename: 'fn-lockdown.js' }).runInContext(context);
  const describe = new vm.Script('__simedge.describe()', { filename: 'fn-glue.js' });
  const call = new vm.Script('__simedge.call()', { filename: 'fn-glue.js' });
  return { context, glue, describe, call };
}

/** @type {ReturnType<typeof prepareRealm> | undefined} */
let REALM = prepareRealm();

/**
 * Compile the source in a fresh, locked-down context and return a caller that maps a JSON text
 * to `{ok: true, json}` or `{ok: false, msg}`. Throws an Error with a printable message when the
 * source is refused, does not compile, throws or times out at top level, or defines no handle.
 * @param {string} src
 * @returns {(inputJson: string) => {ok: true, json: string} | {ok: false, msg: string}}
 */
function compile(src) {
  // Wall 2: `import` as a keyword cannot be spelled with escapes, so a source without the word
  // cannot contain import(). Conservative: the word in a string or comment is refused too.
  if (/(?<![\w$])import(?![\w$])/.test(src)) throw new Error('the source must not contain the word "import" (dynamic import() is not available to fn)');
  // One realm per process, used once: nothing ran in it but the lockdown.
  const realm = REALM;
  if (realm === undefined) throw new Error('the fn realm was already used');
  REALM = undefined;
  const { context, glue, describe, call } = realm;
  const timed = { timeout: TIMEOUT_MS };
  const user = new vm.Script(src, { filename: 'fn.js' }); // a SyntaxError here is host-realm
  /** @param {unknown} e @returns {string} a user value thrown at us, formatted inside the realm */
  const inRealm = (e) => {
    glue.put(e);
    try {
      const t = describe.runInContext(context, timed);
      return typeof t === 'string' ? t : 'unprintable';
    } catch {
      return 'threw a value that could not be printed in time';
    }
  };
  try {
    user.runInContext(context, timed);
  } catch (e) {
    throw new Error(`top-level code failed: ${inRealm(e)}`);
  }
  let kind;
  try {
    kind = new vm.Script('typeof handle').runInContext(context, timed);
  } catch (e) {
    throw new Error(`reading handle failed: ${inRealm(e)}`);
  }
  if (kind !== 'function') throw new Error('the source must define function handle(input, state)');
  return (inputJson) => {
    glue.put(inputJson);
    let out;
    try {
      out = call.runInContext(context, timed);
    } catch (e) {
      // Only the host's timeout gets here (the glue catches everything the function throws).
      return { ok: false, msg: inRealm(e) };
    }
    if (typeof out !== 'string') return { ok: false, msg: 'glue returned no text' };
    if (out.startsWith('!')) return { ok: false, msg: out.slice(1, MAX_MSG + 1) };
    if (Buffer.byteLength(out) > MAX_RESULT) return { ok: false, msg: `result over ${MAX_RESULT} bytes` };
    return { ok: true, json: out };
  };
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} body
 */
function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} code
 * @param {string} msg
 */
function replyError(res, status, code, msg) {
  reply(res, status, JSON.stringify({ code, msg }));
}

/** @param {object} m */
function announce(m) {
  if (process.send) process.send(m);
  else process.stdout.write(`${JSON.stringify(m)}\n`);
}

/**
 * @param {(inputJson: string) => {ok: true, json: string} | {ok: false, msg: string}} call
 * @param {number} port
 */
function serve(call, port) {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return replyError(res, 405, 'FN_BAD_INPUT', 'use GET');
      return reply(res, 200, '{"ok":true}');
    }
    if (path !== '/') return replyError(res, 404, 'FN_BAD_INPUT', 'not found');
    if (req.method !== 'POST') return replyError(res, 405, 'FN_BAD_INPUT', 'use POST with a JSON body');
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return replyError(res, 413, 'FN_BAD_INPUT', `body over ${MAX_BODY} bytes`);
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        JSON.parse(text); // validated in the host realm; the function parses its own copy
      } catch {
        return replyError(res, 400, 'FN_BAD_INPUT', 'body is not JSON');
      }
      const r = call(text);
      if (r.ok) reply(res, 200, r.json);
      else replyError(res, 500, 'FN_ERROR', r.msg);
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  server.listen(port, HOST, () => {
    const addr = server.address();
    if (addr === null || typeof addr === 'string') return fatal('no TCP address');
    announce({ t: 'listening', port: addr.port, perm: process.permission !== undefined });
  });
  server.on('error', (e) => fatal(`listen on ${HOST}:${port} failed: ${e.message}`));
}

/**
 * @param {string} src
 * @param {number} port
 */
function run(src, port = PORT) {
  if (src.length > MAX_SRC) return fatal(`fn source over ${MAX_SRC} bytes`);
  let call;
  try {
    call = compile(src);
  } catch (e) {
    // Host-realm errors only: compile() formats anything the function threw inside its realm.
    return fatal(`fn does not compile: ${e instanceof Error ? (e.name === 'Error' ? e.message : `${e.name}: ${e.message}`) : 'unknown error'}`);
  }
  serve(call, port);
}

// A rejected promise nobody handled inside the function must neither crash the host (Node's
// default) nor be inspected here (inspecting it would run the function's getters untimed).
process.on('unhandledRejection', () => {});
// PID 1 in a container has no default SIGTERM action: without this, every stop ends in SIGKILL.
if (process.pid === 1) for (const sig of /** @type {const} */ (['SIGTERM', 'SIGINT'])) process.on(sig, () => process.exit(0));

// The agent's IPC channel is a lifeline: when it closes, the agent is gone and so are we.
if (process.send) process.on('disconnect', () => process.exit(0));

if (!Number.isFinite(TIMEOUT_MS) || TIMEOUT_MS <= 0) fatal(`bad call timeout ${process.argv[3] ?? process.env.SIMEDGE_FN_TIMEOUT_MS}`);
else if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fatal(`bad SIMEDGE_FN_PORT ${process.env.SIMEDGE_FN_PORT}`);
else if (process.env.SIMEDGE_FN_CODE_FILE) {
  const file = process.env.SIMEDGE_FN_CODE_FILE;
  let src;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    src = undefined;
    fatal(`cannot read SIMEDGE_FN_CODE_FILE ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (src !== undefined) run(src);
} else if (process.env.SIMEDGE_FN_SRC) {
  const src = Buffer.from(process.env.SIMEDGE_FN_SRC, 'base64').toString('utf8');
  delete process.env.SIMEDGE_FN_SRC;
  run(src);
} else if (!process.send) {
  fatal('fn-host needs its code: SIMEDGE_FN_CODE_FILE, SIMEDGE_FN_SRC or an IPC channel from the agent');
} else {
  process.once('message', (/** @type {unknown} */ m) => {
    const msg = /** @type {{t?: unknown, src?: unknown, port?: unknown}} */ (typeof m === 'object' && m !== null ? m : {});
    if (msg.t !== 'code' || typeof msg.src !== 'string') return fatal('expected {t:"code", src, port?}');
    const port = msg.port === undefined ? PORT : Number(msg.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return fatal(`bad port ${String(msg.port)}`);
    run(msg.src, port);
  });
  // Say that start-up is over and the code may come: an agent that confines us to a CPU quota
  // moves us into its cgroup now, so Node's own start-up is not throttled but the function is.
  process.send({ t: 'hello' });
}
