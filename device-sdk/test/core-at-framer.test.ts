// The AT framer is a resumable state machine: every split of the input must give the same events
// (STYLE #5), including across CR|LF, `>`|` ` and binary block borders.
import { describe, expect, it } from 'vitest';
import { AtFramer } from '../src/core/at/framer.js';
import { enc } from './core-pair.js';

type Ev = ['line', string] | ['prompt'] | ['data', number[]] | ['overflow'];

/** Feed chunks; a `+RXPAYLOAD: <n>` line asks for n raw bytes (like +CMQTTRXPAYLOAD). */
function run(chunks: Uint8Array[], opts: { maxLine?: number; armed?: boolean } = {}): Ev[] {
  const out: Ev[] = [];
  const f: AtFramer = new AtFramer({
    line: (s) => {
      out.push(['line', s]);
      const m = /^\+RXPAYLOAD: (\d+)$/.exec(s);
      if (m) f.expectBytes(Number(m[1]));
    },
    prompt: () => out.push(['prompt']),
    data: (b) => out.push(['data', [...b]]),
    overflow: () => out.push(['overflow']),
  }, opts.maxLine);
  if (opts.armed) f.expectPrompt(true);
  for (const c of chunks) f.push(c);
  return out;
}

function everySplit(input: Uint8Array, opts: { maxLine?: number; armed?: boolean } = {}): Ev[] {
  const whole = run([input], opts);
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j++) {
      const got = run([input.subarray(0, i), input.subarray(i, j), input.subarray(j)], opts);
      expect(got, `split at ${i},${j}`).toEqual(whole);
    }
  }
  expect(run([...input].map((b) => Uint8Array.of(b)), opts), 'byte by byte').toEqual(whole);
  return whole;
}

describe('AtFramer', () => {
  it('emits lines for CRLF, CR-only and LF-only endings and skips empty lines [V.250 §5.7.1]', () => {
    const ev = everySplit(enc('\r\n+CPIN: READY\r\n\r\nOK\r\nA\rB\nC\r\r\n\n'));
    expect(ev).toEqual([['line', '+CPIN: READY'], ['line', 'OK'], ['line', 'A'], ['line', 'B'], ['line', 'C']]);
  });

  it('recognises the `> ` prompt, a bare `>` line, and keeps `>x` as a line', () => {
    const ev = everySplit(enc('\r\n> \r\n>\r\n>x\r\nOK\r\n'));
    expect(ev).toEqual([['prompt'], ['prompt'], ['line', '>x'], ['line', 'OK']]);
  });

  it('reports a bare `>` at once when a prompt is expected (SIMCom style, no space, no line end)', () => {
    const ev = everySplit(enc('\r\n>'), { armed: true });
    expect(ev).toEqual([['prompt']]);
    // With `> ` the space is swallowed rather than starting a line.
    expect(everySplit(enc('\r\n> \r\nOK\r\n'), { armed: true })).toEqual([['prompt'], ['line', 'OK']]);
  });

  it('reads a fixed-length binary block after its header line, even one holding CR, LF and `> `', () => {
    const payload = [0x0d, 0x0a, 0x3e, 0x20, 0x00, 0xff, 0x0a];
    const input = new Uint8Array([...enc('\r\n+RXPAYLOAD: 7\r\n'), ...payload, ...enc('\r\n+RXEND: 0\r\n')]);
    const ev = everySplit(input);
    expect(ev).toEqual([['line', '+RXPAYLOAD: 7'], ['data', payload], ['line', '+RXEND: 0']]);
  });

  it('reads a binary block after an LF-only header', () => {
    const ev = everySplit(new Uint8Array([...enc('+RXPAYLOAD: 2\n'), 0x0a, 0x41, ...enc('\nOK\n')]));
    expect(ev).toEqual([['line', '+RXPAYLOAD: 2'], ['data', [0x0a, 0x41]], ['line', 'OK']]);
  });

  it('drops an over-long line with one overflow event and carries on', () => {
    const ev = everySplit(enc(`${'X'.repeat(40)}\r\nOK\r\n`), { maxLine: 16 });
    expect(ev).toEqual([['overflow'], ['line', 'OK']]);
  });

  it('rejects a binary length out of range with RangeError', () => {
    const f = new AtFramer({ line: () => undefined, prompt: () => undefined, data: () => undefined, overflow: () => undefined });
    expect(() => f.expectBytes(-1)).toThrow(RangeError);
    expect(() => f.expectBytes(1.5)).toThrow(RangeError);
    expect(() => f.expectBytes(1 << 20)).toThrow(RangeError);
  });
});
