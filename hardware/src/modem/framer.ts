// The modem's input side: a resumable framer fed arbitrary byte chunks from the UART.
// States: TEXT (collecting a command line), OVERFLOW (line too long: discard until the
// terminator, then report it so the modem can answer ERROR) and DATA (after a `>` prompt:
// exactly `want` raw bytes, no line rules - the fixed-length binary forms of AT+QMTPUBEX,
// AT+CMQTTPAYLOAD, AT+SMPUB, AT+UMQTTC=9). S3 (\r) ends a line [ITU-T V.250 §6.2.1]; \n is
// ignored so "\r\n"-terminated hosts work; S5 (backspace) edits [ITU-T V.250 §6.2.3].

const CR = 0x0d;
const LF = 0x0a;
const BS = 0x08;

/** Longest command line kept; V.250 §5.2.1 requires at least 40, real modems take 256-2048. */
export const MAX_LINE = 1024;

export type FramedLine = { line: string } | { overflow: true };
export type FramedItem = FramedLine | { data: Uint8Array };

export class LineFramer {
  private buf: number[] = [];
  private state: 'TEXT' | 'OVERFLOW' | 'DATA' = 'TEXT';
  private data: Uint8Array | undefined;
  private got = 0;

  /** The next `n` bytes are raw data (after a `>` prompt), reported as one { data } item. */
  expectBytes(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('expectBytes: n must be a positive integer');
    this.state = 'DATA';
    this.data = new Uint8Array(n);
    this.got = 0;
  }

  /** Leave DATA mode without completing it (the prompt was abandoned). */
  cancelData(): void {
    if (this.state !== 'DATA') return;
    this.state = 'TEXT';
    this.data = undefined;
  }

  /**
   * Consume bytes from `bytes[start..]` until one item completes or the input ends; returns the
   * item (if any) and the index of the first unconsumed byte. Stopping after each item lets the
   * caller switch to DATA mode before the bytes that follow a prompting command are framed.
   */
  step(bytes: Uint8Array, start: number): { item: FramedItem | undefined; next: number } {
    let i = start;
    while (i < bytes.length) {
      if (this.state === 'DATA') {
        const data = this.data as Uint8Array;
        const take = Math.min(data.length - this.got, bytes.length - i);
        data.set(bytes.subarray(i, i + take), this.got);
        this.got += take;
        i += take;
        if (this.got === data.length) {
          this.state = 'TEXT';
          this.data = undefined;
          return { item: { data }, next: i };
        }
        continue;
      }
      const b = bytes[i] as number;
      i++;
      if (b === CR) {
        const overflow = this.state === 'OVERFLOW';
        const line = this.buf;
        this.buf = [];
        this.state = 'TEXT';
        if (overflow) return { item: { overflow: true }, next: i };
        if (line.length > 0) return { item: { line: String.fromCharCode(...line) }, next: i };
      } else if (b === LF || this.state === 'OVERFLOW') {
        // LF: the tail of a "\r\n" terminator; OVERFLOW: drop until the terminator.
      } else if (b === BS) {
        this.buf.pop();
      } else if (this.buf.length >= MAX_LINE) {
        this.buf = [];
        this.state = 'OVERFLOW';
      } else {
        this.buf.push(b);
      }
    }
    return { item: undefined, next: i };
  }

  /** Feed a chunk; returns every item completed by it (possibly none). */
  push(bytes: Uint8Array): FramedItem[] {
    const out: FramedItem[] = [];
    let i = 0;
    while (i < bytes.length) {
      const r = this.step(bytes, i);
      if (r.item) out.push(r.item);
      i = r.next;
    }
    return out;
  }
}
