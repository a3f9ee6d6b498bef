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
//   BINARY   collecting exactly `want` raw bytes (after expectBytes), no line rules apply
//
// Lines are byte strings (one char per byte, as on Espruino): AT responses are ASCII, and the
// core never needs a text decoder this way.

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

export class AtFramer {
  private state = LINE;
  private buf = '';
  private bin: Uint8Array | undefined;
  private got = 0;
  /** Binary length requested while a CR terminator may still be followed by its LF. */
  private pendingBin = 0;
  /** A command that awaits `>` is in flight: report a `>` at line start without waiting. */
  private promptArmed = false;
  private readonly sink: FramerSink;
  private readonly maxLine: number;

  constructor(sink: FramerSink, maxLine?: number) {
    this.sink = sink;
    this.maxLine = maxLine === undefined ? 1024 : maxLine;
  }

  /**
   * Read the next n bytes raw and hand them to sink.data. Meant to be called from sink.line
   * for a header announcing a payload (e.g. `+CMQTTRXPAYLOAD: 0,<n>`): the payload starts after
   * that line's terminator, including an LF that completes a CR.
   */
  expectBytes(n: number): void {
    if (!(n >= 0 && n <= MAX_BINARY && Math.floor(n) === n)) throw new RangeError('expectBytes: n must be an integer in 0..' + MAX_BINARY);
    if (n === 0) return;
    if (this.state === CR) {
      this.pendingBin = n;
      return;
    }
    if (this.state !== LINE || this.buf.length > 0) throw new RangeError('expectBytes: only at a line boundary');
    this.startBinary(n);
  }

  /**
   * Say whether a prompt is awaited. Some modems send a bare `>` with neither space nor line end;
   * it can only be recognised when the framer knows a prompt is due.
   */
  expectPrompt(on: boolean): void {
    this.promptArmed = on;
  }

  /** Feed a chunk of any length. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      const b = chunk[i] as number;
      switch (this.state) {
        case BINARY: {
          const bin = this.bin as Uint8Array;
          const take = Math.min(bin.length - this.got, chunk.length - i);
          bin.set(chunk.subarray(i, i + take), this.got);
          this.got += take;
          i += take;
          if (this.got === bin.length) {
            this.state = LINE;
            this.bin = undefined;
            this.sink.data(bin);
          }
          continue;
        }
        case CR:
          if (this.pendingBin > 0) {
            const n = this.pendingBin;
            this.pendingBin = 0;
            this.startBinary(n);
            if (b === LF_BYTE) i++;
            continue;
          }
          this.state = LINE;
          if (b === LF_BYTE) i++;
          continue;
        case GT:
          if (b === SP_BYTE) {
            this.state = LINE;
            i++;
            this.sink.prompt();
            continue;
          }
          // Not a prompt: the `>` starts an ordinary line; reprocess b in LINE.
          this.state = LINE;
          this.buf = '>';
          continue;
        case PROMPTED:
          this.state = LINE;
          if (b === SP_BYTE) i++;
          continue;
        case DISCARD:
          if (b === CR_BYTE) this.state = CR;
          else if (b === LF_BYTE) this.state = LINE;
          i++;
          continue;
        default: // LINE
          i++;
          if (b === CR_BYTE || b === LF_BYTE) {
            this.state = b === CR_BYTE ? CR : LINE;
            const s = this.buf;
            this.buf = '';
            // A bare `>` line is the prompt of modems that send `>` + CRLF instead of `> `.
            if (s === '>') this.sink.prompt();
            else if (s.length > 0) this.sink.line(s, b);
          } else if (b === GT_BYTE && this.buf.length === 0) {
            if (this.promptArmed) {
              this.promptArmed = false;
              this.state = PROMPTED;
              this.sink.prompt();
            } else this.state = GT;
          } else if (this.buf.length >= this.maxLine) {
            this.buf = '';
            this.state = DISCARD;
            this.sink.overflow();
          } else {
            this.buf += String.fromCharCode(b);
          }
      }
    }
  }

  /** Forget any partial line or block (after a link reset). */
  reset(): void {
    this.state = LINE;
    this.buf = '';
    this.bin = undefined;
    this.got = 0;
    this.pendingBin = 0;
    this.promptArmed = false;
  }

  private startBinary(n: number): void {
    this.bin = new Uint8Array(n);
    this.got = 0;
    this.state = BINARY;
  }
}
