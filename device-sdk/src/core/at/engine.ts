// AT command engine over a ByteStream: one command at a time (later ones queue), per-command
// timeout, final result codes mapped to SimedgeError codes, echo tolerance, and URCs routed
// through a prefix-keyed table even when they arrive between a command and its final result.
// Portable core: plain Promises, no async/await, no Map (see reference/espruino.md).
import { SimedgeError } from '../../wire/codes.js';
import { has, noop, type Platform } from '../platform.js';
import type { ByteStream } from '../stream.js';
import { AtFramer } from './framer.js';
import { byteString } from '../transport/bytes.js';
import { FULL, RAWREAD, TRACE } from '../flags.js';
import { allChars, isAlnum } from '../../wire/chars.js';

/** Line-level trace: what went to the modem (tx) and what came back (rx). */
export type AtTrace = (dir: 'tx' | 'rx', text: string) => void;

export interface AtEngineOptions {
  /** Timeout for a command without its own (default 5000 ms). */
  defaultTimeoutMs?: number;
  trace?: AtTrace;
  /** Longest accepted response line (default 1024 bytes). */
  maxLine?: number;
}

export interface SendOptions {
  timeoutMs?: number;
  /** Bytes to write when the modem shows the `> ` prompt (binary publish, AT+CSIM-like forms). */
  payload?: Uint8Array;
}

/**
 * A URC handler; term is the byte that ended the line (13 CR or 10 LF). Raw-payload readers need
 * it to rebuild a payload whose lone CR or LF cut the line short (see transport/quoted.ts).
 */
export type UrcHandler = (line: string, term?: number) => void;

interface Job {
  cmd: string;
  timeoutMs: number;
  payload: Uint8Array | undefined;
  /** Prefix (e.g. `+CEREG:`) of lines that answer this command even though they are also URCs. */
  claim: string;
  lines: string[];
  echoSeen: boolean;
  timer: unknown;
  resolve: (lines: string[]) => void;
  reject: (e: Error) => void;
}

// [V.250 §5.7.1] final result codes other than OK that end a command unsuccessfully.
const FAILURES = ['ERROR', 'NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE'];
const CME = '+CME ERROR:'; // [TS27.007 §9.2]
const CMS = '+CMS ERROR:'; // [TS27.005 §3.2.5]
// Read (`AT+X?`) and test (`AT+X=?`) forms answer with `+X: …` lines: `+X:` for such a command,
// else ''. A loop, not a RegExp: Espruino's has no `|` inside a group (wire/chars.ts).
function queryPrefix(cmd: string): string {
  const end = cmd.length - (cmd.substring(cmd.length - 2) === '=?' ? 2 : cmd.charAt(cmd.length - 1) === '?' ? 1 : 0);
  const name = cmd.substring(2, end);
  if (end === cmd.length || cmd.substring(0, 2) !== 'AT' || '+&%$#^'.indexOf(name.charAt(0)) < 0) return '';
  return allChars(name.substring(1), 1, 1024, isAlnum) ? name.toUpperCase() + ':' : '';
}

function startsWith(s: string, p: string): boolean {
  return s.substring(0, p.length) === p;
}

/** The engine's API (drivers, attach, IoT SAFE). */
export interface AtEngine {
  /** Send one command (without `AT`-line terminator); resolves with its information lines. */
  send(cmd: string, opts?: SendOptions): Promise<string[]>;
  /**
   * Route lines starting with prefix (e.g. `+CEREG:`, `RING`) to fn. Several handlers may share a
   * prefix; the longest matching prefix wins. Returns a function that removes the handler.
   */
  onUrc(prefix: string, fn: UrcHandler): () => void;
  /**
   * Read the n bytes that follow the line being handled as one raw block (call it from a URC
   * handler whose line announces a binary payload).
   */
  expectBytes(n: number, fn: (bytes: Uint8Array) => void): void;
  /** Fail every pending command with AT_CLOSED and close the stream. */
  close(): void;
}

/**
 * `new AtEngine(stream, platform, opts)`. Closures instead of a class: the state lives in local
 * variables, which minify to one letter, where a class pays `this.` and a member name on every
 * access (the Espruino bundle keeps its source in RAM).
 */
export const AtEngine = function AtEngine(stream: ByteStream, platform: Platform, opts?: AtEngineOptions): AtEngine {
  const o = opts || {};
  const defaultTimeoutMs = o.defaultTimeoutMs === undefined ? 5000 : o.defaultTimeoutMs;
  const trace = TRACE ? o.trace : undefined;
  const queue: Job[] = [];
  let current: Job | undefined;
  const urcs: { [prefix: string]: UrcHandler[] } = {};
  let binaryFn: ((bytes: Uint8Array) => void) | undefined;
  let closed = false;

  const log = (dir: 'tx' | 'rx', text: string): void => {
    if (!TRACE || !trace) return;
    try {
      trace(dir, text);
    } catch (e) {
      // A failing trace sink must not break the modem link.
    }
  };

  let framer: AtFramer; // assigned below, once the functions of its sink exist

  const write = (job: Job, shown: string, bytes: Uint8Array): void => {
    if (TRACE) log('tx', shown);
    try {
      stream.write(bytes);
    } catch (e) {
      finish(job, new SimedgeError('AT_CLOSED', 'write failed: ' + String(e)));
    }
  };

  const pump = (): void => {
    if (current || closed) return;
    const job = queue.shift();
    if (!job) return;
    current = job;
    framer.expectPrompt(job.payload !== undefined);
    job.timer = platform.setTimer(() => {
      if (current !== job) return;
      finish(job, new SimedgeError('AT_TIMEOUT', job.cmd));
    }, job.timeoutMs);
    write(job, job.cmd + '\r', byteString(job.cmd + '\r'));
  };

  const finish = (job: Job, err: Error | undefined): void => {
    if (current !== job) return;
    current = undefined;
    framer.expectPrompt(false);
    platform.clearTimer(job.timer);
    if (err) job.reject(err);
    else job.resolve(job.lines);
    pump();
  };

  const urcFor = (line: string): UrcHandler[] | undefined => {
    let best = '';
    const keys = Object.keys(urcs);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (k.length > best.length && startsWith(line, k) && (urcs[k] as UrcHandler[]).length > 0) best = k;
    }
    return best ? urcs[best] : undefined;
  };

  const onLine = (line: string, term: number | undefined): void => {
    if (TRACE) log('rx', line);
    const job = current;
    if (job) {
      // Echo (until ATE0 takes effect): the command's own line, before anything else.
      if (!job.echoSeen && job.lines.length === 0 && line.trim() === job.cmd) {
        job.echoSeen = true;
        return;
      }
      if (line === 'OK') return finish(job, undefined);
      if (FAILURES.indexOf(line) >= 0) return finish(job, new SimedgeError('AT_ERROR', job.cmd + ': ' + line));
      if (startsWith(line, CME)) return finish(job, new SimedgeError('AT_CME_ERROR', line.substring(CME.length).trim()));
      if (startsWith(line, CMS)) return finish(job, new SimedgeError('AT_ERROR', job.cmd + ': ' + line));
      // A read form's answer shares its prefix with the URC (`+CEREG:`): while the read form is in
      // flight such a line is its answer. [TS27.007 §10.1.22]
      if (job.claim && startsWith(line.toUpperCase(), job.claim)) {
        job.lines.push(line);
        return;
      }
    }
    const handlers = urcFor(line);
    if (handlers) {
      const copy = handlers.slice();
      for (let i = 0; i < copy.length; i++) {
        try {
          (copy[i] as UrcHandler)(line, term);
        } catch (e) {
          if (TRACE) log('rx', '<URC handler failed: ' + String(e) + '>');
        }
      }
      return;
    }
    if (job) job.lines.push(line);
    // Otherwise an unsolicited line nobody asked for (e.g. a late OK after a timeout): dropped.
  };

  const onPrompt = (): void => {
    const job = current;
    if (TRACE) log('rx', '> ');
    if (!job || job.payload === undefined) return;
    const p = job.payload;
    job.payload = undefined; // a second prompt must not send the payload twice
    write(job, TRACE ? '<' + p.length + ' bytes>' : '', p);
  };

  const onData = (bytes: Uint8Array): void => {
    if (!RAWREAD) return; // no raw blocks in a lean build without RAWREAD (framer.ts expectBytes)
    const fn = binaryFn;
    binaryFn = undefined;
    if (TRACE) log('rx', '<' + bytes.length + ' bytes>');
    if (!fn) return;
    try {
      fn(bytes);
    } catch (e) {
      if (TRACE) log('rx', '<binary handler failed: ' + String(e) + '>');
    }
  };

  framer = new AtFramer({
    line: onLine,
    prompt: onPrompt,
    // Lean: nothing to do for either (no raw blocks without RAWREAD, no traces): the shared no-op.
    data: RAWREAD ? onData : noop,
    overflow: TRACE ? () => log('rx', '<line too long, dropped>') : noop,
  }, o.maxLine);
  stream.onReadable((bytes) => {
    // Never throw out of an I/O callback (STYLE #9): a bug in a handler must not kill the port.
    try {
      if (!closed) framer.push(bytes);
    } catch (e) {
      if (TRACE) log('rx', '<internal error: ' + String(e) + '>');
    }
  });

  return {
    send(cmd: string, sendOpts?: SendOptions): Promise<string[]> {
      // Only the SDK calls send() in the lean build, with commands it built from checked values
      // (pin, apn, broker are checked where the firmware passes them): FULL only (core/flags.ts).
      if (FULL && (typeof cmd !== 'string' || cmd.length === 0 || cmd.length > 1024 || /[\r\n]/.test(cmd))) {
        throw new TypeError('AtEngine.send: a command is one line of 1..1024 characters');
      }
      const so = sendOpts || {};
      if (closed) return Promise.reject(new SimedgeError('AT_CLOSED', cmd));
      return new Promise<string[]>((resolve, reject) => {
        queue.push({
          cmd: cmd,
          timeoutMs: so.timeoutMs === undefined ? defaultTimeoutMs : so.timeoutMs,
          payload: so.payload,
          claim: queryPrefix(cmd),
          lines: [],
          echoSeen: false,
          timer: undefined,
          resolve: resolve,
          reject: reject,
        });
        pump();
      });
    },

    onUrc(prefix: string, fn: UrcHandler): () => void {
      // Only the SDK's drivers register URCs in the lean build (FULL: see session.ts connect).
      if (FULL && (typeof prefix !== 'string' || prefix.length === 0)) throw new TypeError('AtEngine.onUrc: prefix must be non-empty');
      const list = has(urcs, prefix) ? (urcs[prefix] as UrcHandler[]) : (urcs[prefix] = []);
      list.push(fn);
      return () => {
        const i = list.indexOf(fn);
        if (i >= 0) list.splice(i, 1);
      };
    },

    expectBytes(n: number, fn: (bytes: Uint8Array) => void): void {
      binaryFn = fn;
      framer.expectBytes(n);
    },

    close(): void {
      if (closed) return;
      closed = true;
      const jobs = queue.splice(0, queue.length);
      if (current) jobs.unshift(current);
      current = undefined;
      for (let i = 0; i < jobs.length; i++) {
        const j = jobs[i] as Job;
        if (j.timer !== undefined) platform.clearTimer(j.timer);
        j.reject(new SimedgeError('AT_CLOSED', j.cmd));
      }
      stream.close();
    },
  };
} as unknown as new (stream: ByteStream, platform: Platform, opts?: AtEngineOptions) => AtEngine;
