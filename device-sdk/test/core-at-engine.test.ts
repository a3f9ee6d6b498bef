// The AT engine: fixtures split at every byte offset, URC routing, echo, timeouts, +CME ERROR,
// queueing, prompts and binary blocks, close, and hostile input that must not break the link.
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import type { ByteStream } from '../src/core/stream.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { SimedgeError } from '../src/wire/codes.js';
import { AT_FIXTURES, type AtFixture } from './core-at-fixtures.js';
import { dec, enc, memoryPair, OK, reply, ScriptedModem } from './core-pair.js';

/** A stream whose far side is the test itself: it sees writes and feeds chunks synchronously. */
function directStream() {
  let receiver: (b: Uint8Array) => void = () => undefined;
  const written: string[] = [];
  let closed = false;
  const stream: ByteStream = {
    write: (b) => { if (!closed) written.push(dec(b)); },
    onReadable: (r) => { receiver = r; },
    close: () => { closed = true; },
  };
  return { stream, written, feed: (b: Uint8Array) => receiver(b), isClosed: () => closed };
}

type Outcome = { lines?: string[]; error?: { code: string; detail?: string }; urcs: string[] };

async function play(fx: AtFixture, chunks: Uint8Array[]): Promise<Outcome> {
  const d = directStream();
  const at = new AtEngine(d.stream, nodePlatform, { defaultTimeoutMs: 1000 });
  const urcs: string[] = [];
  at.onUrc('+CEREG:', (l) => urcs.push(l));
  const p = at.send(fx.cmd);
  expect(d.written).toEqual([`${fx.cmd}\r`]);
  for (const c of chunks) d.feed(c);
  try {
    return { lines: await p, urcs };
  } catch (e) {
    const se = e as SimedgeError;
    return { error: { code: se.code, ...(fx.error?.detail !== undefined ? { detail: se.detail } : {}) }, urcs };
  }
}

describe('AtEngine fixtures', () => {
  for (const fx of AT_FIXTURES) {
    it(`${fx.name}: same result at every split offset`, async () => {
      const rx = enc(fx.rx);
      const expected: Outcome = { urcs: fx.urcs ?? [], ...(fx.lines ? { lines: fx.lines } : {}), ...(fx.error ? { error: fx.error } : {}) };
      expect(await play(fx, [rx])).toEqual(expected);
      for (let i = 1; i < rx.length; i++) {
        expect(await play(fx, [rx.subarray(0, i), rx.subarray(i)]), `split at ${i}`).toEqual(expected);
      }
    });
  }
});

describe('AtEngine', () => {
  it('fails with AT_TIMEOUT when the modem never answers, then runs the next command', async () => {
    const [a, b] = memoryPair();
    const modem = new ScriptedModem(b, (cmd) => (cmd === 'AT+SLOW' ? undefined : OK));
    const at = new AtEngine(a, nodePlatform);
    const slow = at.send('AT+SLOW', { timeoutMs: 30 });
    const next = at.send('AT');
    await expect(slow).rejects.toMatchObject({ code: 'AT_TIMEOUT', detail: 'AT+SLOW' });
    await expect(next).resolves.toEqual([]);
    expect(modem.commands).toEqual(['AT+SLOW', 'AT']);
  });

  it('queues commands: the second is written only after the first is answered', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform);
    const p1 = at.send('AT+CFUN=1');
    const p2 = at.send('AT+CIMI');
    expect(d.written).toEqual(['AT+CFUN=1\r']);
    d.feed(enc(OK));
    await expect(p1).resolves.toEqual([]);
    expect(d.written).toEqual(['AT+CFUN=1\r', 'AT+CIMI\r']);
    d.feed(enc(reply('240011234000001', 'OK')));
    await expect(p2).resolves.toEqual(['240011234000001']);
  });

  it('routes a URC with no command in flight, by the longest matching prefix', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform);
    const short: string[] = [];
    const long: string[] = [];
    at.onUrc('+C', (l) => short.push(l));
    const off = at.onUrc('+CEREG:', (l) => long.push(l));
    d.feed(enc('\r\n+CEREG: 1,"0A01","01A2D101",7\r\n\r\n+CGEV: ME DETACH\r\n'));
    expect(long).toEqual(['+CEREG: 1,"0A01","01A2D101",7']);
    expect(short).toEqual(['+CGEV: ME DETACH']);
    off();
    d.feed(enc('\r\n+CEREG: 2\r\n'));
    expect(short).toEqual(['+CGEV: ME DETACH', '+CEREG: 2']);
  });

  it('survives a throwing URC handler and keeps serving commands', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform);
    const seen: string[] = [];
    at.onUrc('RING', () => { throw new Error('handler bug'); });
    at.onUrc('RING', (l) => seen.push(l));
    const p = at.send('AT');
    expect(() => d.feed(enc('\r\nRING\r\n\r\nOK\r\n'))).not.toThrow();
    await expect(p).resolves.toEqual([]);
    expect(seen).toEqual(['RING']);
  });

  it('writes the payload at the `> ` prompt, once [reference: QMTPUBEX]', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform);
    const payload = new Uint8Array([0xa1, 0x61, 0x74, 0x0d, 0x0a]);
    const p = at.send('AT+QMTPUBEX=0,1,1,0,"t",5', { payload });
    d.feed(enc('\r\n> '));
    d.feed(enc('\r\n> '));
    expect(d.written).toEqual(['AT+QMTPUBEX=0,1,1,0,"t",5\r', dec(payload)]);
    d.feed(enc(OK));
    await expect(p).resolves.toEqual([]);
  });

  it('hands a binary block that follows a URC header to expectBytes', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform);
    const got: number[][] = [];
    at.onUrc('+CMQTTRXPAYLOAD:', (l) => at.expectBytes(Number(l.split(',')[1]), (b) => got.push([...b])));
    const p = at.send('AT');
    d.feed(new Uint8Array([...enc('\r\n+CMQTTRXPAYLOAD: 0,3\r\n'), 0x0d, 0x4f, 0x4b, ...enc('\r\nOK\r\n')]));
    await expect(p).resolves.toEqual([]);
    expect(got).toEqual([[0x0d, 0x4f, 0x4b]]);
  });

  it('ignores garbage and over-long lines between commands', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform, { maxLine: 64 });
    d.feed(new Uint8Array(3000).fill(0x41));
    d.feed(enc('\r\nOK\r\n\u0000\u00ff\r\n'));
    const p = at.send('AT+CPIN?');
    d.feed(enc(reply('+CPIN: READY', 'OK')));
    await expect(p).resolves.toEqual(['+CPIN: READY']);
  });

  it('close() fails the running and queued commands with AT_CLOSED and closes the stream', async () => {
    const d = directStream();
    const at = new AtEngine(d.stream, nodePlatform);
    const p1 = at.send('AT+CFUN=1');
    const p2 = at.send('AT');
    at.close();
    await expect(p1).rejects.toMatchObject({ code: 'AT_CLOSED' });
    await expect(p2).rejects.toMatchObject({ code: 'AT_CLOSED' });
    await expect(at.send('AT')).rejects.toBeInstanceOf(SimedgeError);
    expect(d.isClosed()).toBe(true);
  });

  it('rejects a command holding a line break with TypeError', () => {
    const at = new AtEngine(directStream().stream, nodePlatform);
    expect(() => at.send('AT\r+CFUN=0')).toThrow(TypeError);
    expect(() => at.send('')).toThrow(TypeError);
  });
});
