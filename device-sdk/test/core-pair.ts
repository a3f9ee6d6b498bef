// Test helpers: an in-memory ByteStream pair (aedes-style duplex pair) and a scripted modem on its
// far end. The real modem emulator lives in hardware/ and has its own contract suite; these tests
// of the device core must not depend on it, so each test scripts the few replies it needs.
import type { ByteStream } from '../src/core/stream.js';

export const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
export const dec = (b: Uint8Array): string => String.fromCharCode(...b);

/** Two connected ends; bytes are delivered asynchronously (as a real port does), in order. */
export function memoryPair(): [ByteStream, ByteStream] {
  const ends: Array<{ receiver?: (b: Uint8Array) => void; closed: boolean }> = [{ closed: false }, { closed: false }];
  const make = (me: number): ByteStream => ({
    write(bytes) {
      const peer = ends[1 - me]!;
      if (ends[me]!.closed || peer.closed) return;
      const copy = bytes.slice();
      queueMicrotask(() => {
        if (!peer.closed) peer.receiver?.(copy);
      });
    },
    onReadable(r) {
      ends[me]!.receiver = r;
    },
    close() {
      ends[me]!.closed = true;
      ends[1 - me]!.closed = true;
    },
  });
  return [make(0), make(1)];
}

/** A response: information lines then a final result, framed as a modem does (CR LF around). */
export function reply(...lines: string[]): string {
  return lines.map((l) => `\r\n${l}\r\n`).join('');
}
export const OK = reply('OK');

export type Script = (cmd: string, modem: ScriptedModem) => string | undefined;

/** The modem side: collects command lines and answers them through a script. */
export class ScriptedModem {
  readonly commands: string[] = [];
  private buf = '';
  private waiters: Array<{ pred: (c: string) => boolean; resolve: (c: string) => void }> = [];

  constructor(private readonly stream: ByteStream, private readonly script: Script) {
    stream.onReadable((b) => {
      this.buf += dec(b);
      let i: number;
      while ((i = this.buf.indexOf('\r')) >= 0) {
        const cmd = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!cmd) continue;
        this.commands.push(cmd);
        for (const w of this.waiters.filter((x) => x.pred(cmd))) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(cmd);
        }
        const out = this.script(cmd, this);
        if (out !== undefined) this.send(out);
      }
    });
  }

  send(text: string): void {
    this.stream.write(enc(text));
  }

  urc(line: string): void {
    this.send(`\r\n${line}\r\n`);
  }

  /** Resolves when a command matching pred has arrived (now or later). */
  waitFor(pred: (c: string) => boolean): Promise<string> {
    const seen = this.commands.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}
