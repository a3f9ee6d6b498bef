// Test helpers that await the next value of something: a queue fed by a callback (transport
// receive handlers, registration watchers) and the next MQTT message on one topic of a peer client.
import type { MqttClient } from '../src/adapter/node/index.js';

/** Resolves with the next value pushed; values pushed before anyone waits are kept, in order. */
export class Queue<T> {
  private got: T[] = [];
  private waiters: Array<(v: T) => void> = [];
  push = (v: T): void => {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.got.push(v);
  };
  next(): Promise<T> {
    return this.got.length > 0 ? Promise.resolve(this.got.shift() as T) : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The payload of the next message `c` receives on `topic` (subscribe first). */
export function nextMessage(c: MqttClient, topic: string): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const on = (t: string, p: Buffer) => {
      if (t !== topic) return;
      c.off('message', on);
      resolve(new Uint8Array(p));
    };
    c.on('message', on);
  });
}
