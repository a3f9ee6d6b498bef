// Test helper: the host side of the UART at byte level, for binary payloads and prompts. Bytes
// are kept as a Latin-1 string (one char per byte). take() waits until a pattern appears anywhere
// in what has not been taken yet and removes just that span, so asynchronous URCs may arrive in
// any order around it; cmd() sends a line and takes the response that follows it.
import type { ByteStream } from '@simedge/device-sdk/core';

const GUARD_MS = 4000; // failure guard only: every wait normally ends on data

export class RawHost {
  buf = '';
  private wake: (() => void) | undefined;

  constructor(private readonly stream: ByteStream) {
    stream.onReadable((b) => {
      this.buf += Buffer.from(b).toString('latin1');
      this.wake?.();
    });
  }

  send(x: string | Uint8Array): void {
    this.stream.write(typeof x === 'string' ? new Uint8Array(Buffer.from(x, 'latin1')) : x);
  }

  /** Resolves once `found()` returns a value, re-checking on every arrival. */
  async until<T>(found: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const r = found();
      if (r !== undefined) return r;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; unconsumed: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = undefined;
    }
  }

  /**
   * Waits for `re`; when `payloadLen` is given, also for that many raw bytes after the match and
   * then `suffix`. Removes the whole span and returns the match and the payload bytes.
   */
  async take(re: RegExp, payloadLen?: (m: RegExpExecArray) => number, suffix = ''): Promise<{ m: RegExpExecArray; payload: Uint8Array }> {
    return this.until(() => {
      const m = re.exec(this.buf);
      if (!m) return undefined;
      const start = m.index;
      const pStart = start + m[0].length;
      const n = payloadLen ? payloadLen(m) : 0;
      if (this.buf.length < pStart + n + suffix.length) return undefined;
      const payload = new Uint8Array(Buffer.from(this.buf.slice(pStart, pStart + n), 'latin1'));
      if (this.buf.slice(pStart + n, pStart + n + suffix.length) !== suffix) {
        throw new Error(`after the payload expected ${JSON.stringify(suffix)}, got ${JSON.stringify(this.buf.slice(pStart + n, pStart + n + suffix.length))}`);
      }
      this.buf = this.buf.slice(0, start) + this.buf.slice(pStart + n + suffix.length);
      return { m, payload };
    }, String(re));
  }

  /** Sends `line` + CR and takes the text response after it: its lines and the final result. */
  async cmd(line: string): Promise<{ lines: string[]; final: string }> {
    const mark = this.buf.length;
    this.send(`${line}\r`);
    return this.until(() => {
      const tail = this.buf.slice(mark);
      const m = /\r\n(OK|ERROR|\+CME ERROR: [^\r]*)\r\n/.exec(tail);
      if (!m) return undefined;
      const body = tail.slice(0, m.index);
      this.buf = this.buf.slice(0, mark) + tail.slice(m.index + m[0].length);
      return { lines: body.split('\r\n').filter((l) => l !== ''), final: m[1] as string };
    }, `final result of ${line}`);
  }

  /** Sends a prompting command, waits for `> `, sends the data, takes the final result. */
  async withData(line: string, data: Uint8Array): Promise<{ lines: string[]; final: string }> {
    const mark = this.buf.length;
    this.send(`${line}\r`);
    await this.until(() => {
      const i = this.buf.indexOf('\r\n> ', mark);
      if (i < 0) return undefined;
      this.buf = this.buf.slice(0, i) + this.buf.slice(i + 4);
      return true;
    }, `prompt after ${line}`);
    const mark2 = this.buf.length;
    this.send(data);
    return this.until(() => {
      const tail = this.buf.slice(mark2);
      const m = /\r\n(OK|ERROR|\+CME ERROR: [^\r]*)\r\n/.exec(tail);
      if (!m) return undefined;
      this.buf = this.buf.slice(0, mark2) + tail.slice(m.index + m[0].length);
      return { lines: tail.slice(0, m.index).split('\r\n').filter((l) => l !== ''), final: m[1] as string };
    }, `final result after the data of ${line}`);
  }
}
