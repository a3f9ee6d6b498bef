// Test helper: the host side of the UART, a tiny AT line collector. It records every byte
// received (for exact framing checks), splits them into non-empty lines and hands them out in
// order; cmd() sends a command line and collects lines up to its final result.
import type { ByteStream } from '@simedge/device-sdk/core';

const FINAL = /^(OK|ERROR|\+CME ERROR: .*)$/;
const GUARD_MS = 2000; // failure guard only: every wait normally ends on data

export interface Reply { lines: string[]; final: string }

export class Host {
  raw = '';
  private partial = '';
  private readonly queue: string[] = [];
  private waiter: (() => void) | undefined;

  constructor(private readonly stream: ByteStream) {
    stream.onReadable((bytes) => {
      const s = String.fromCharCode(...bytes);
      this.raw += s;
      this.partial += s;
      const parts = this.partial.split(/\r\n|\r|\n/);
      this.partial = parts.pop() as string;
      for (const p of parts) if (p !== '') this.queue.push(p);
      this.waiter?.();
    });
  }

  send(text: string): void {
    this.stream.write(Uint8Array.from(text, (c) => c.charCodeAt(0)));
  }

  /** The next received line (URC or response), waiting for it if needed. */
  async next(): Promise<string> {
    const deadline = Date.now() + GUARD_MS;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${GUARD_MS} ms; received so far: ${JSON.stringify(this.raw)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => { clearTimeout(t); resolve(); };
      });
      this.waiter = undefined;
    }
    return this.queue.shift() as string;
  }

  /** Sends `line` + CR and returns the lines up to (not including) the final result. */
  async cmd(line: string, terminator = '\r'): Promise<Reply> {
    this.send(line + terminator);
    const lines: string[] = [];
    for (;;) {
      const l = await this.next();
      if (FINAL.test(l)) return { lines, final: l };
      lines.push(l);
    }
  }

  /** Lines already received and not yet taken. */
  pending(): string[] {
    return [...this.queue];
  }
}
