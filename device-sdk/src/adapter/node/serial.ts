// A real serial port (serialport 13) as the core's ByteStream: /dev/ttyUSB*, /dev/serial0 or one
// end of a socat pseudo-terminal pair.
import { SerialPort } from 'serialport';
import type { ByteStream } from '../../core/stream.js';
import { SimedgeError } from '../../wire/codes.js';

/** Bytes kept while nobody listens yet (a modem's boot URCs); beyond this they are dropped. */
const MAX_PENDING = 65536;

export function openSerial(path: string, baudRate = 115200): Promise<ByteStream> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('openSerial: path is required');
  if (!Number.isInteger(baudRate) || baudRate <= 0) throw new TypeError('openSerial: baudRate must be a positive integer');
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) {
        reject(new SimedgeError('AT_CLOSED', `${path}: ${err.message}`));
        return;
      }
      let receiver: ((bytes: Uint8Array) => void) | undefined;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      let closed = false;
      port.on('data', (chunk: Buffer) => {
        const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (receiver) receiver(bytes);
        else if (pendingBytes + bytes.length <= MAX_PENDING) {
          pending.push(bytes);
          pendingBytes += bytes.length;
        }
      });
      // Port errors surface to the AT engine as timeouts; an unhandled 'error' would kill the process.
      port.on('error', () => undefined);
      port.on('close', () => {
        closed = true;
      });
      resolve({
        write(bytes) {
          // Copy: serialport writes asynchronously and the caller may reuse its array.
          if (!closed) port.write(Buffer.from(bytes));
        },
        onReadable(r) {
          receiver = r;
          const early = pending;
          pending = [];
          pendingBytes = 0;
          for (const b of early) r(b);
        },
        close() {
          if (closed) return;
          closed = true;
          receiver = undefined;
          port.close(() => undefined);
        },
      });
    });
  });
}
