// duplexPair: the in-memory serial link every modem test runs over.
import { describe, expect, it } from 'vitest';
import { duplexPair } from '../src/index.js';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (chunks: Uint8Array[]) => chunks.map((c) => String.fromCharCode(...c)).join('');

function collect(n: number, end: ReturnType<typeof duplexPair>[0]): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  return new Promise((resolve) => end.onReadable((b) => { got.push(b); if (got.length === n) resolve(got); }));
}

describe('duplexPair', () => {
  it('delivers in order, both ways, never inside the write call', async () => {
    const [a, b] = duplexPair();
    let replacedRan = false;
    b.onReadable(() => { replacedRan = true; });
    let arrived = 0;
    const atB = collect(3, b); // onReadable replaces the earlier receiver
    const atA = collect(1, a);
    void atB.then(() => arrived++);
    a.write(bytes('one'));
    a.write(bytes('two'));
    a.write(bytes('three'));
    b.write(bytes('back'));
    await Promise.resolve(); // microtasks only: a synchronous delivery would have settled atB by now
    expect(arrived).toBe(0);
    expect(text(await atB)).toBe('onetwothree');
    expect(text(await atA)).toBe('back');
    expect(replacedRan).toBe(false);
  });

  it('copies written bytes: the writer may reuse its buffer at once', async () => {
    const [a, b] = duplexPair();
    const got = collect(1, b);
    const buf = bytes('AT\r');
    a.write(buf);
    buf.fill(0);
    expect(text(await got)).toBe('AT\r');
  });

  it('keeps bytes written before the receiver is registered', async () => {
    const [a, b] = duplexPair();
    a.write(bytes('early'));
    await new Promise<void>((r) => setImmediate(r)); // let the delivery attempt pass with no receiver
    expect(text(await collect(1, b))).toBe('early');
  });

  it('close() on either end closes both: pending bytes dropped, later writes ignored', async () => {
    const [a, b] = duplexPair();
    const seenA: Uint8Array[] = [];
    const seenB: Uint8Array[] = [];
    a.onReadable((x) => seenA.push(x));
    b.onReadable((x) => seenB.push(x));
    a.write(bytes('lost'));
    b.close();
    expect(() => a.write(bytes('after'))).not.toThrow();
    expect(() => b.write(bytes('after'))).not.toThrow();
    // Deliveries are setImmediate tasks: two turns are enough for any that were still queued.
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
    expect(seenA).toEqual([]);
    expect(seenB).toEqual([]);
  });
});
