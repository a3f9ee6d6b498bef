// An ECMA-419 serial port (Moddable's `device.io.Serial`) as the core's ByteStream. The firmware
// passes the class and its options (STYLE #2), e.g.
//   moddableSerial(device.io.Serial, { ...device.Serial.default, baud: 115200 })
// Reads use format "buffer"; writes are queued and flushed as `onWritable` reports room, since an
// ECMA-419 write of more than the free space throws [ECMA-419 §10.2].
import type { ByteStream } from '../../core/stream.js';

/** The ECMA-419 Serial instance members the adapter uses. */
export interface Ecma419Serial {
  read(): ArrayBuffer | undefined;
  write(data: ArrayBuffer): void;
  close(): void;
}

export interface Ecma419SerialOptions {
  [k: string]: unknown;
  format?: string;
  onReadable?: (this: Ecma419Serial, count: number) => void;
  onWritable?: (this: Ecma419Serial, count: number) => void;
}

export type Ecma419SerialClass = new (opts: Ecma419SerialOptions) => Ecma419Serial;

export function moddableSerial(Serial: Ecma419SerialClass, options: Ecma419SerialOptions): ByteStream {
  let receiver: ((bytes: Uint8Array) => void) | undefined;
  let closed = false;
  let room = 0;
  let queue: Uint8Array[] = [];
  let port: Ecma419Serial | undefined;

  const flush = (): void => {
    while (port && !closed && room > 0 && queue.length > 0) {
      const head = queue[0] as Uint8Array;
      const n = Math.min(room, head.length);
      // A copy: write takes an ArrayBuffer, and the caller may reuse its array.
      port.write(head.slice(0, n).buffer);
      room -= n;
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
    }
  };

  const opts: Ecma419SerialOptions = {};
  for (const k of Object.keys(options)) opts[k] = options[k];
  opts.format = 'buffer';
  opts.onReadable = function (this: Ecma419Serial) {
    const b = this.read();
    if (!b || closed || !receiver) return;
    try {
      receiver(new Uint8Array(b));
    } catch (e) {
      // never throw out of an I/O callback (STYLE #9)
    }
  };
  opts.onWritable = function (count: number) {
    room = count;
    flush();
  };
  port = new Serial(opts);

  return {
    write: (bytes) => {
      if (closed) return;
      queue.push(bytes.slice());
      flush();
    },
    onReadable: (r) => {
      receiver = r;
    },
    close: () => {
      if (closed) return;
      closed = true;
      receiver = undefined;
      queue = [];
      if (port) port.close();
    },
  };
}
