// @ts-check
// fn host: the child process that runs ONE edge function (`fn` service) for the process runtime.
//
// Plain ES module JavaScript on purpose: the agent spawns it with bare `node` (no tsx, no loaders),
// which keeps start-up around 50 ms. Protocol with the agent (IPC channel of child_process.fork):
//   agent -> host  {t:'code', src}          the function's UTF-8 source (never in argv: ps would show it)
//   host  -> agent {t:'listening', port}    HTTP is up on argv[2] (host), port chosen by the OS
//   compile/listen failure -> reason on stderr, exit code 1 (the agent reports the stderr tail)
//   IPC channel closed (agent gone) -> exit, so a crashed agent leaves no orphans
//
// Contract of the user code (see edge-agent/README.md): the source defines
// `function handle(input, state)`. `POST /` with a JSON body calls handle(input, state), where
// state is one object per instance that persists across calls, and answers 200 with the JSON of
// the result (undefined -> null). A throw, a timeout (argv[3] ms, default 1000) or a result that
// JSON cannot encode -> 500 {code:'FN_ERROR', msg}; a body that is not JSON or is over 64 KiB ->
// 400/413 {code:'FN_BAD_INPUT', msg}; `GET /healthz` -> 200.
//
// node:vm is NOT a security boundary. It gives the function a fresh global (no require, process,
// Buffer, timers; eval/new Function disabled) and bounds each call in time; the OS process and
// its V8 heap limit (--max-old-space-size) are what actually contain it. Stronger sandboxing
// (seccomp, containers) is the job of a later runtime.
import { createServer } from 'node:http';
import vm from 'node:vm';

const HOST = process.argv[2] ?? '127.0.0.1';
const TIMEOUT_MS = Number(process.argv[3] ?? 1000);
const MAX_BODY = 64 * 1024;

// Names the host's glue uses inside the function's context. Prefixed so user code does not
// collide with them by accident; a function that clobbers them only breaks itself.
const CALL = '__simedge_call';
const INPUT = '__simedge_input';

/** @param {string} msg */
function fatal(msg) {
  process.stderr.write(`${msg}\n`, () => process.exit(1));
}

/** @param {unknown} e */
function describe(e) {
  // Only host-realm errors reach here (SyntaxError from vm.Script, timeouts, I/O), so reading
  // .message cannot run user code.
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Compile the source in a fresh context and return a caller that maps a JSON text to
 * `{ok: true, json}` or `{ok: false, msg}`.
 * @param {string} src
 * @returns {(inputJson: string) => {ok: true, json: string} | {ok: false, msg: string}}
 */
function compile(src) {
  // A null-prototype sandbox: the global object then has no host-realm prototype chain to
  // climb (`this.constructor.constructor` would otherwise reach the host's Function).
  const context = vm.createContext(Object.create(null), {
    name: 'fn',
    codeGeneration: { strings: false, wasm: false },
    // Promise jobs queued by the function run inside the timed evaluation, not after it.
    microtaskMode: 'afterEvaluate',
  });
  new vm.Script(src, { filename: 'fn.js' }).runInContext(context, { timeout: TIMEOUT_MS });
  const hasHandle = new vm.Script('typeof handle === "function"').runInContext(context, { timeout: TIMEOUT_MS });
  if (hasHandle !== true) throw new Error('the source must define function handle(input, state)');
  // The glue runs inside the context, so every value that crosses back to the host is a
  // primitive string built within the timeout: a hostile result object or error (getters,
  // proxies) cannot run code outside the time bound. '!' marks an error (JSON never starts so).
  new vm.Script(`
    globalThis.${CALL} = (function () {
      const state = {};
      const text = (e) => {
        try { return e instanceof Error ? e.name + ': ' + e.message : 'thrown: ' + String(e); }
        catch (_) { return 'threw a value that cannot be printed'; }
      };
      return function (json) {
        try {
          const r = handle(JSON.parse(json), state);
          const out = r === undefined ? 'null' : JSON.stringify(r);
          return typeof out === 'string' ? out : '!result is not JSON';
        } catch (e) { return '!' + text(e); }
      };
    })();`).runInContext(context, { timeout: TIMEOUT_MS });
  const call = new vm.Script(`${CALL}(${INPUT})`);
  return (inputJson) => {
    context[INPUT] = inputJson;
    let out;
    try {
      out = call.runInContext(context, { timeout: TIMEOUT_MS });
    } catch (e) {
      return { ok: false, msg: describe(e) }; // host-realm: timeout or a clobbered glue name
    }
    if (typeof out !== 'string') return { ok: false, msg: 'glue returned no text' };
    return out.startsWith('!') ? { ok: false, msg: out.slice(1, 257) } : { ok: true, json: out };
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

/** @param {(inputJson: string) => {ok: true, json: string} | {ok: false, msg: string}} call */
function serve(call) {
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
  server.listen(0, HOST, () => {
    const addr = server.address();
    if (addr === null || typeof addr === 'string') return fatal('no TCP address');
    process.send?.({ t: 'listening', port: addr.port });
  });
  server.on('error', (e) => fatal(`listen on ${HOST} failed: ${describe(e)}`));
}

if (!process.send) fatal('fn-host must be started by the edge agent with an IPC channel');
process.on('disconnect', () => process.exit(0));
process.once('message', (/** @type {unknown} */ m) => {
  const msg = /** @type {{t?: unknown, src?: unknown}} */ (typeof m === 'object' && m !== null ? m : {});
  if (msg.t !== 'code' || typeof msg.src !== 'string') return fatal('expected {t:"code", src}');
  let call;
  try {
    call = compile(msg.src);
  } catch (e) {
    return fatal(`fn does not compile: ${describe(e)}`);
  }
  serve(call);
});
