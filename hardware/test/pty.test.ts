// The modem on a real pseudo-terminal (socat), opened with `serialport` like a USB modem: AT
// round trips, binary-safe CSIM, close and reopen; and the `modem-emu` CLI entry printing the
// path. socat must be installed (CI installs it): these tests fail, not skip, without it.
import { PassThrough } from 'node:stream';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemEmulator, NetworkSim, startModemPty, type ModemPty } from '../src/index.js';
import { modemEmuCommand } from '../src/cli.js';
import { CELLS, SIM } from './fixtures.js';

const GUARD_MS = 4000;

/** Open `path` at 115200 and collect what arrives. */
async function openPort(path: string): Promise<{ port: SerialPort; cmd: (line: string) => Promise<string> }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let buf = '';
  let wake: (() => void) | undefined;
  port.on('data', (b: Buffer) => { buf += b.toString('latin1'); wake?.(); });
  const cmd = async (line: string): Promise<string> => {
    buf = '';
    port.write(`${line}\r`);
    const deadline = Date.now() + GUARD_MS;
    while (!/\r\n(OK|ERROR|\+CME ERROR: [^\r]*)\r\n$/.test(buf)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no final result for ${line}; got ${JSON.stringify(buf)}`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); wake = () => { clearTimeout(t); r(); }; });
    }
    return buf;
  };
  return { port, cmd };
}

const closePort = (p: SerialPort) => new Promise<void>((resolve) => p.close(() => resolve()));

let ptys: ModemPty[] = [];
afterEach(async () => { for (const p of ptys) await p.close(); ptys = []; });

describe('modem on a pseudo-terminal (socat)', () => {
  it('answers AT commands through serialport at 115200, and survives a close and reopen', async () => {
    const network = new NetworkSim({ cells: CELLS });
    const modem = new ModemEmulator({ sim: SIM, network, cell: 'home-1', dialect: 'bg96' });
    const pty = await startModemPty({ modem });
    ptys.push(pty);
    expect(pty.device).toMatch(/^\/dev\/pts\/\d+$/);
    const a = await openPort(pty.path);
    expect(await a.cmd('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(await a.cmd('ATI')).toBe('\r\nQuectel\r\n\r\nBG96\r\n\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n');
    expect(await a.cmd('AT+CSIM=10,"0070000001"')).toBe('\r\n+CSIM: 6,"019000"\r\n\r\nOK\r\n');
    await closePort(a.port);
    const b = await openPort(pty.path);
    expect(await b.cmd('AT+QCCID')).toBe(`\r\n+QCCID: ${SIM.iccid}\r\n\r\nOK\r\n`);
    await closePort(b.port);
  });

  it('reports PTY_UNAVAILABLE when socat cannot be run', async () => {
    const network = new NetworkSim({ cells: CELLS });
    const modem = new ModemEmulator({ sim: SIM, network, cell: 'home-1' });
    await expect(startModemPty({ modem, socat: '/nonexistent/socat' })).rejects.toMatchObject({ code: 'PTY_UNAVAILABLE' });
    modem.close();
  });
});

describe('simedge modem-emu', () => {
  it('prints the device path, serves the dialect on it, and stops cleanly on abort', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const ac = new AbortController();
    const firstLine = new Promise<string>((resolve) => stdout.once('data', (b: Buffer) => resolve(b.toString().trim())));
    const done = modemEmuCommand(['--dialect', 'sim7600', '--pty', '--imsi', '310410123456789', '--cell', '310410:1C01:0C4F3011', '--no-echo'],
      { stdout, stderr, signal: ac.signal });
    const path = await firstLine;
    const p = await openPort(path);
    expect(await p.cmd('AT+CIMI')).toBe('\r\n310410123456789\r\n\r\nOK\r\n');
    expect(await p.cmd('AT+CICCID')).toBe('\r\n+ICCID: 8935805123456789012\r\n\r\nOK\r\n');
    await closePort(p.port);
    ac.abort();
    expect(await done).toBe(0);
  });

  it('exits 2 with usage for an unknown dialect or without --pty, 0 for --help', async () => {
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    expect(await modemEmuCommand(['--dialect', 'nokia', '--pty'], io)).toBe(2);
    expect(out.join('')).toMatch(/unknown dialect nokia/);
    expect(await modemEmuCommand(['--dialect', 'bg96'], io)).toBe(2);
    expect(await modemEmuCommand(['--bogus'], io)).toBe(2);
    expect(await modemEmuCommand(['--help'], io)).toBe(0);
    expect(out.join('')).toMatch(/usage: simedge modem-emu/);
  });
});
