// The byte-stream contract between the device core and a serial port (ECMA-419-shaped:
// write, a readable callback, close). Adapters wrap serialport, Espruino's Serial1, XS serial
// and in-memory pairs in it. The core never sees the runtime's own serial object.
export interface ByteStream {
  /** Send bytes to the other side. Must not throw after close (it drops them instead). */
  write(bytes: Uint8Array): void;
  /** Register the single receiver of incoming bytes (a later call replaces the earlier one). */
  onReadable(receiver: (bytes: Uint8Array) => void): void;
  /** Close the link; no more bytes are delivered either way. */
  close(): void;
}
