// The modem's input side: line framer (fed arbitrary chunks) and command-line parser [V.250 §5].
import { describe, expect, it } from 'vitest';
import { parseLine } from '../src/modem/command.js';
import { LineFramer, MAX_LINE, type FramedLine } from '../src/modem/framer.js';
import { AtFail } from '../src/modem/result.js';
import { rig } from './fixtures.js';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('LineFramer', () => {
  const input = 'ATE0\rAT+CIMI\r\n\r\nAT+COPS=3,2;+COPS?\rAT+CX\bEREG?\r';
  const expected: FramedLine[] = [{ line: 'ATE0' }, { line: 'AT+CIMI' }, { line: 'AT+COPS=3,2;+COPS?' }, { line: 'AT+CEREG?' }];

  it('gives the same lines whatever byte offset the input is split at', () => {
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const f = new LineFramer();
        const got = [input.slice(0, i), input.slice(i, j), input.slice(j)].flatMap((s) => f.push(bytes(s)));
        expect(got, `split at ${i},${j}`).toEqual(expected);
      }
    }
  });

  it('flags an over-long line once, at its terminator, then frames normally again', () => {
    const f = new LineFramer();
    expect(f.push(bytes('A'.repeat(MAX_LINE + 10)))).toEqual([]);
    expect(f.push(bytes('tail\rAT\r'))).toEqual([{ overflow: true }, { line: 'AT' }]);
  });
});

describe('parseLine [V.250 §5.2-5.4]', () => {
  it('splits extended commands on ";" outside quotes and classifies the forms', () => {
    expect(parseLine('AT+COPS=3,2;+COPS?;+CEREG=?;+CIMI')).toEqual([
      { name: '+COPS', kind: 'set', args: [{ value: '3', quoted: false }, { value: '2', quoted: false }] },
      { name: '+COPS', kind: 'read', args: [] },
      { name: '+CEREG', kind: 'test', args: [] },
      { name: '+CIMI', kind: 'exec', args: [] },
    ]);
    expect(parseLine('AT+CGDCONT=1,"IP","a;b,c"')[0]?.args).toEqual([
      { value: '1', quoted: false }, { value: 'IP', quoted: true }, { value: 'a;b,c', quoted: true },
    ]);
  });

  it('parses basic commands run together and followed by an extended one', () => {
    expect(parseLine('ate0v1+cmee=1').map((c) => [c.name, c.args.map((a) => a.value)])).toEqual([
      ['E', ['0']], ['V', ['1']], ['+CMEE', ['1']],
    ]);
    expect(parseLine('AT')).toEqual([]);
  });

  it('rejects what is not a command line', () => {
    for (const bad of ['hello', 'AT+CPIN="12', 'AT+CPIN=12"34', 'AT+', 'AT+CFUN=1?', 'AT#X']) {
      expect(() => parseLine(bad), bad).toThrow(AtFail);
    }
  });
});

describe('emulator input split at every byte offset', () => {
  it('answers a script identically however the bytes are chunked', async () => {
    const script = 'ATE0\rAT+CIMI\r\nAT+CEREG?\rAT+COPS=3,2;+COPS?\r';
    const run = async (cut: number): Promise<string> => {
      const { modem, host } = rig({ echo: true });
      host.send(script.slice(0, cut));
      host.send(script.slice(cut));
      for (let finals = 0; finals < 4;) if (/^(OK|ERROR)/.test(await host.next())) finals++;
      modem.close();
      return host.raw;
    };
    const whole = await run(script.length);
    expect(whole).toBe('ATE0\r\r\nOK\r\n\r\n244051234567890\r\n\r\nOK\r\n\r\n+CEREG: 0,0\r\n\r\nOK\r\n\r\n+COPS: 0\r\n\r\nOK\r\n');
    for (let cut = 0; cut < script.length; cut++) expect(await run(cut), `cut ${cut}`).toBe(whole);
  });
});
