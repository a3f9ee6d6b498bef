// The modem's input side: a resumable line framer fed arbitrary byte chunks from the UART.
// States: TEXT (collecting a command line) and OVERFLOW (line too long: discard until the
// terminator, then report it so the modem can answer ERROR). S3 (\r) ends a line
// [ITU-T V.250 §6.2.1]; \n is ignored so "\r\n"-terminated hosts work; S5 (backspace) edits
// [ITU-T V.250 §6.2.3].

const CR = 0x0d;
const LF = 0x0a;
const BS = 0x08;

/** Longest command line kept; V.250 §5.2.1 requires at least 40, real modems take 256-2048. */
export const MAX_LINE = 1024;

export type FramedLine = { line: string } | { overflow: true };

export class LineFramer {
  private buf: number[] = [];
  private state: 'TEXT' | 'OVERFLOW' = 'TEXT';

  /** Feed a chunk; returns every line completed by it (possibly none). */
  push(bytes: Uint8Array): FramedLine[] {
    const out: FramedLine[] = [];
    for (const b of bytes) {
      if (b === CR) {
        if (this.state === 'OVERFLOW') out.push({ overflow: true });
        else if (this.buf.length > 0) out.push({ line: String.fromCharCode(...this.buf) });
        this.buf = [];
        this.state = 'TEXT';
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
    return out;
  }
}
