// Property tests of the AT engine (STYLE #8): arbitrary bytes from the modem, cut into arbitrary
// chunks and interleaved with commands that have small timeouts, never make the engine throw out
// of the serial callback or a timer, and every send settles (resolves or rejects) no later than
// its own timeout after it was written. Time is a FakeClock the test drives (no real waiting), so
// "settles within its timeout" is checked exactly, not by a race against wall time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import type { ByteStream } from '../src/core/stream.js';
import { enc } from './core-pair.js';
import { FakeClock, flush } from './core-fake-clock.js';

/** Fragments a modem really sends, so random input also hits the interesting paths. */
const TOKENS = [
  '\r\nOK\r\n', '\r\nERROR\r\n', '\r\n+CME ERROR: 10\r\n', '\r\n+CMS ERROR: 500\r\n', '\r\n> ', '>', '\r\n+CEREG: 1\r\n',
  '\r\n+CEREG: 2,1,"0A01","01A2D101",7\r\n', '\r\n+RX: 3\r\n', '\r\n+RX: 0\r\n', '\r\n+RX: 70000\r\n', '\r', '\n',
  'AT+T1\r', '\r\nNO CARRIER\r\n', '\r\nRING\r\n', '\u0000\u00ff',
];

type Action =
  | { k: 'feed'; bytes: Uint8Array }
  | { k: 'send'; timeoutMs: number; payload: boolean; query: boolean }
  | { k: 'tick'; ms: number };

const bytesArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 48 }),
  fc.constantFrom(...TOKENS).map(enc),
  fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 4 }).map((t) => enc(t.join(''))),
);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: bytesArb.map((bytes) => ({ k: 'feed' as const, bytes })) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('send' as const), timeoutMs: fc.integer({ min: 1, max: 50 }), payload: fc.boolean(), query: fc.boolean() }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }).map((ms) => ({ k: 'tick' as const, ms })) },
);

interface Sent {
  cmd: string;
  timeoutMs: number;
  writtenAt?: number;
  settledAt?: number;
}

async function runScenario(actions: Action[], maxLine: number): Promise<void> {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  let receiver: (b: Uint8Array) => void = () => undefined;
  const stream: ByteStream = {
    write: (b) => {
      const s = String.fromCharCode(...b);
      const job = sent.find((x) => `${x.cmd}\r` === s && x.writtenAt === undefined);
      if (job) job.writtenAt = clock.now();
    },
    onReadable: (r) => { receiver = r; },
    close: () => undefined,
  };
  const at = new AtEngine(stream, clock, { defaultTimeoutMs: 50, maxLine });
  // A URC whose line announces raw bytes, as +CMQTTRXPAYLOAD does (70000 exceeds MAX_BINARY: the
  // handler's RangeError must stay inside the engine).
  at.onUrc('+RX:', (line) => at.expectBytes(Number(line.slice(5)), () => undefined));
  at.onUrc('+CEREG:', () => undefined);
  const settle = (s: Sent) => () => { s.settledAt = clock.now(); };

  for (const a of actions) {
    if (a.k === 'feed') {
      expect(() => receiver(a.bytes)).not.toThrow();
      await flush();
    } else if (a.k === 'send') {
      const s: Sent = { cmd: `AT+T${sent.length + 2}${a.query ? '?' : ''}`, timeoutMs: a.timeoutMs };
      sent.push(s);
      at.send(s.cmd, { timeoutMs: a.timeoutMs, ...(a.payload ? { payload: enc('xy') } : {}) }).then(settle(s), settle(s));
      await flush();
    } else {
      await clock.advance(a.ms);
    }
  }
  // Let every queued command run out its timeout.
  await clock.advance(sent.reduce((n, s) => n + s.timeoutMs, 0) + 1);
  for (const s of sent) {
    expect(s.writtenAt, `${s.cmd} was written`).toBeDefined();
    expect(s.settledAt, `${s.cmd} settled`).toBeDefined();
    expect((s.settledAt as number) - (s.writtenAt as number), `${s.cmd} within its timeout`).toBeLessThanOrEqual(s.timeoutMs);
  }
  expect(clock.pending, 'no timer left behind').toBe(0);

  // The link still works: end any partial line or raw block, then a clean exchange succeeds.
  receiver(enc('x'.repeat(8) + '\r\n'));
  const last = at.send('AT+FINAL', { timeoutMs: 50 });
  receiver(enc('\r\nOK\r\n'));
  await expect(last).resolves.toEqual([]);
}

describe('AtEngine properties', () => {
  it('never throws and settles every send within its timeout, whatever the modem sends', async () => {
    await fc.assert(fc.asyncProperty(fc.array(actionArb, { maxLength: 40 }), fc.constantFrom(16, 1024), runScenario), { numRuns: 300 });
  });

  it('reports the byte that ended each line to URC handlers (13 CR, 10 LF)', async () => {
    const clock = new FakeClock();
    let receiver: (b: Uint8Array) => void = () => undefined;
    const at = new AtEngine({ write: () => undefined, onReadable: (r) => { receiver = r; }, close: () => undefined }, clock);
    const seen: Array<[string, number | undefined]> = [];
    at.onUrc('+U:', (line, term) => seen.push([line, term]));
    for (const b of enc('+U: a\r\n+U: b\r+U: c\n+U: d\r')) receiver(Uint8Array.of(b));
    expect(seen).toEqual([['+U: a', 13], ['+U: b', 13], ['+U: c', 10], ['+U: d', 13]]);
  });
});
