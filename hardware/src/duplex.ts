// An in-memory serial link for tests and the network-in-a-box demo: two ByteStream ends where
// bytes written on one end arrive at the other end's receiver asynchronously and in order, the
// way a UART delivers them (never inside the writer's call stack).
import type { ByteStream } from '@simedge/device-sdk/core';

interface End {
  receiver: ((bytes: Uint8Array) => void) | undefined;
  /** Chunks written by the peer, not yet handed to `receiver`. */
  inbox: Uint8Array[];
  scheduled: boolean;
}

/** Two connected ends; close() on either end closes both and drops undelivered bytes. */
export function duplexPair(): [ByteStream, ByteStream] {
  const ends: [End, End] = [
    { receiver: undefined, inbox: [], scheduled: false },
    { receiver: undefined, inbox: [], scheduled: false },
  ];
  let closed = false;

  const drain = (end: End): void => {
    end.scheduled = false;
    // Bytes written before anyone listens wait for the receiver, so a test that wires the
    // receiver a tick late loses nothing.
    while (!closed && end.receiver && end.inbox.length > 0) {
      const chunk = end.inbox.shift() as Uint8Array;
      end.receiver(chunk);
    }
  };
  const schedule = (end: End): void => {
    if (end.scheduled || closed) return;
    end.scheduled = true;
    setImmediate(() => drain(end));
  };

  const makeEnd = (self: End, peer: End): ByteStream => ({
    write(bytes: Uint8Array): void {
      if (closed || bytes.length === 0) return; // [ByteStream] must not throw after close
      // Copy: the writer may reuse its buffer as soon as write() returns.
      peer.inbox.push(Uint8Array.prototype.slice.call(bytes));
      schedule(peer);
    },
    onReadable(receiver: (bytes: Uint8Array) => void): void {
      self.receiver = receiver;
      if (self.inbox.length > 0) schedule(self);
    },
    close(): void {
      closed = true;
      ends[0].inbox.length = 0;
      ends[1].inbox.length = 0;
    },
  });

  return [makeEnd(ends[0], ends[1]), makeEnd(ends[1], ends[0])];
}
