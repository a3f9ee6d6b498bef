// Espruino's Serial1 (or any USART object) as the core's ByteStream. Espruino delivers and writes
// binary strings (one char per byte); the core speaks Uint8Array. Setup (baud rate, pins or, on the
// Linux build, `{path: "/dev/pts/N"}`) is the firmware's job before it hands the port over.
import type { ByteStream } from '../../core/stream.js';
import { byteString, toByteString } from '../../core/transport/bytes.js';

/** The part of Espruino's Serial class the SDK uses. */
export interface EspruinoSerial {
  on(event: 'data', fn: (data: string) => void): void;
  removeListener(event: 'data', fn: (data: string) => void): void;
  write(data: string): void;
}

export function espruinoSerial(port: EspruinoSerial): ByteStream {
  let receiver: ((bytes: Uint8Array) => void) | undefined;
  let closed = false;
  const onData = (data: string): void => {
    // Never throw out of an I/O callback (STYLE #9); the AT engine guards its own handler too.
    try {
      if (receiver && !closed) receiver(byteString(data));
    } catch (e) {
      // dropped: the engine reports its own failures through its trace
    }
  };
  port.on('data', onData);
  return {
    write: (bytes) => {
      if (!closed) port.write(toByteString(bytes));
    },
    onReadable: (r) => {
      receiver = r;
    },
    close: () => {
      if (closed) return;
      closed = true;
      receiver = undefined;
      port.removeListener('data', onData);
    },
  };
}
