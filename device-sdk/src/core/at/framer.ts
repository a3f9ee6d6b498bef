// Resumable framer for a modem's AT byte stream (STYLE #4): fed arbitrary chunks, it emits whole
// response lines, the `> ` data prompt and fixed-length binary blocks, whatever the chunk borders.
//
// States:
//   LINE     collecting the bytes of a line; CR or LF ends it (empty lines are skipped)
//   CR       a line just ended with CR: an LF right here is the rest of that terminator
//   GT       a `>` arrived at the start of a line: a following space makes it the prompt
//   PROMPTED a `>` arrived while a prompt was expected and was reported at once: swallow the
//            space of `> ` if it follows
//   DISCARD  the line grew past maxLine: drop bytes until the next terminator
//   BINARY   collecting exactly `want` raw bytes (after expectBytes), no line rules apply; only
//            in a lean build with RAWREAD (core/flags.ts: a bundle with the CMQTT or UMQTT
//            driver), since the QMT and SM drivers read hex payloads
//
// Lines are byte strings (one char per byte, as on Espruino): AT responses are ASCII, and the
// core never needs a text decoder this way.
import { FULL, RAWREAD } from '../flags.js';
import { rangeError } from '../platform.js';

export interface FramerSink {
  /** A whole line; term is the byte that ended it (13 CR or 10 LF), for raw-payload readers. */
  line(s: string, term?: number): void;
  prompt(): void;
  data(bytes: Uint8Array): void;
  /** A line exceeded maxLine and was dropped (hostile or garbled input). */
  overflow(): void;
}

const LINE = 0;
const CR = 1;
const GT = 2;
const DISCARD = 3;
const BINARY = 4;
const PROMPTED = 5;

const CR_BYTE = 13;
const LF_BYTE = 10;
const GT_BYTE = 62;
const SP_BYTE = 32;

/** Largest binary block expectBytes accepts (modem MQTT payloads are ≤ 10 KiB). */
export const MAX_BINARY = 65536;

/** The framer's API (the AT engine feeds it). */
export interface AtFramer {
  /**
   * Read the next n bytes raw and hand them to sink.data. Meant to be called from sink.line
   * for a header announcing a payload (e.g. `+CMQTTRXPAYLOAD: 0,<n>`): the payload starts after
   * that line's terminator, including an LF that completes a CR.
   */
  expectBytes(n: number): void;
  /**
   * Say whether a prompt is awaited. Some modems send a bare `>` with neither space nor line end;
   * it can only be recognised when the framer knows a prompt is due.
   */
  expectPrompt(on: boolean): void;
  /** Feed a chunk of any length. */
  push(chunk: Uint8Array): void;
  /** Forget any partial line or block (after a link reset). Not in the Espruino build. */
  reset(): void;
}

/**
 * `new AtFramer(sink, maxLine)`. Closures instead of a class: the state lives in local variables,
 * which minify to one letter, where a class pays `this.` and a member name on every access (the
 * Espruino bundle keeps its source in RAM, and this loop runs for every byte from the modem).
 */
export const AtFramer = function AtFramer(sink: FramerSink, maxLineOpt?: number): AtFramer {
  const maxLine = FULL && maxLineOpt !== undefined ? maxLineOpt : 1024; // FULL: the Espruino firmware API cannot pass it
  let state = LINE;
  let buf = '';
  let bin: Uint8Array | undefined;
  let got = 0;
  /** Binary length requested while a CR terminator may still be followed by its LF. */
  let pendingBin = 0;
  /** A command that awaits `>` is in flight: report a `>` at line start without waiting. */
  let promptArmed = false;

  const startBinary = (n: number): void => {
    bin = new Uint8Array(n);
    got = 0;
    state = BINARY;
  };

  const framer = {
    expectBytes(n: number): void {
      // A lean build without RAWREAD reads no raw payloads: its QMT and SM drivers take hex only
      // (transport/qmt.ts, sm.ts); one with the CMQTT or UMQTT driver has RAWREAD (core/flags.ts).
      if (!RAWREAD) throw rangeError('expectBytes: raw payloads are not read in this build');
      if (!(n >= 0 && n <= MAX_BINARY && Math.floor(n) === n)) throw rangeError('expectBytes: n must be an integer in 0..' + MAX_BINARY);
      if (n === 0) return;
      if (state === CR) {
        pendingBin = n;
        return;
      }
      if (state !== LINE || buf.length > 0) throw rangeError('expectBytes: only at a line boundary');
      startBinary(n);
    },

    expectPrompt(on: boolean): void {
      promptArmed = on;
    },

    push(chunk: Uint8Array): void {
      let i = 0;
      while (i < chunk.length) {
        if (RAWREAD && state === BINARY) {
          const block = bin as Uint8Array;
          const take = Math.min(block.length - got, chunk.length - i);
          block.set(chunk.subarray(i, i + take), got);
          got += take;
          i += take;
          if (got === block.length) {
            state = LINE;
            bin = undefined;
            sink.data(block);
          }
          continue;
        }
        const b = chunk[i] as number;
        // An if/else chain, not a switch: Espruino's switch forgets it is inside a loop, and a
        // `continue` in a case is a SyntaxError there (espruino/Espruino#2339).
        if (state === CR) {
          if (RAWREAD && pendingBin > 0) {
            const n = pendingBin;
            pendingBin = 0;
            startBinary(n);
          } else state = LINE;
          if (b === LF_BYTE) i++;
        } else if (state === GT) {
          state = LINE;
          if (b === SP_BYTE) {
            i++;
            sink.prompt();
          } else buf = '>'; // not a prompt: the `>` starts an ordinary line; b is read again in LINE
        } else if (state === PROMPTED) {
          state = LINE;
          if (b === SP_BYTE) i++;
        } else if (state === DISCARD) {
          if (b === CR_BYTE) state = CR;
          else if (b === LF_BYTE) state = LINE;
          i++;
        } else { // LINE
          i++;
          if (b === CR_BYTE || b === LF_BYTE) {
            state = b === CR_BYTE ? CR : LINE;
            const s = buf;
            buf = '';
            // A bare `>` line is the prompt of modems that send `>` + CRLF instead of `> `.
            if (s === '>') sink.prompt();
            else if (s.length > 0) sink.line(s, b);
          } else if (b === GT_BYTE && buf.length === 0) {
            if (promptArmed) {
              promptArmed = false;
              state = PROMPTED;
              sink.prompt();
            } else state = GT;
          } else if (buf.length >= maxLine) {
            buf = '';
            state = DISCARD;
            sink.overflow();
          } else {
            buf += String.fromCharCode(b);
          }
        }
      }
    },
  } as AtFramer;
  // Nothing in the SDK calls reset() (the AT engine keeps one framer for its life): the Node build
  // keeps it for callers of the core API, the Espruino build leaves it out (FULL: core/flags.ts).
  if (FULL) {
    framer.reset = (): void => {
      state = LINE;
      buf = '';
      bin = undefined;
      got = 0;
      pendingBin = 0;
      promptArmed = false;
    };
  }
  return framer;
} as unknown as new (sink: FramerSink, maxLine?: number) => AtFramer;
