// The emulated modem on a real pseudo-terminal, so firmware tooling, `serialport`, minicom or
// the SDK's Node adapter open it like /dev/ttyUSB2. socat creates the PTY and relays its master
// side to our stdio pipes: `socat -d -d pty,raw,echo=0,link=<dir>/ttyEMU0 STDIO`. We also hold
// the slave side open ourselves (never reading it) so that when a client closes the port the
// master does not see EIO and socat keeps running - clients can close and reopen the device.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ByteStream } from '@simedge/device-sdk/core';
import { SimedgeError } from '@simedge/device-sdk/wire';
import type { ModemEmulator } from './modem/emulator.js';

export interface ModemPtyOptions {
  /** The modem to put on the PTY (not yet connected to anything). */
  modem: ModemEmulator;
  /** Path of the symlink to create; default <fresh tmp dir>/ttyEMU0. */
  link?: string;
  /** socat binary; default 'socat' from PATH. */
  socat?: string;
  /** Give up when socat has not set the PTY up within this long (ms); default 5000. */
  startTimeoutMs?: number;
}

export interface ModemPty {
  /** The path to open (the symlink). */
  path: string;
  /** The /dev/pts/N device the symlink points to. */
  device: string;
  modem: ModemEmulator;
  /** Power the modem off, stop socat and remove the symlink. */
  close(): Promise<void>;
}

type Socat = ChildProcessByStdio<Writable, Readable, Readable>;

/** A ByteStream over socat's stdio: what the modem writes goes to the PTY, what the host types comes back. */
function stdioStream(child: Socat): ByteStream {
  let closed = false;
  return {
    write(bytes: Uint8Array): void {
      if (closed || !child.stdin.writable) return;
      child.stdin.write(Buffer.from(bytes));
    },
    onReadable(receiver: (bytes: Uint8Array) => void): void {
      child.stdout.removeAllListeners('data');
      child.stdout.on('data', (b: Buffer) => { if (!closed) receiver(new Uint8Array(b)); });
    },
    close(): void {
      closed = true;
    },
  };
}

/** Start socat, wait for its PTY, connect the modem to it. Rejects with PTY_UNAVAILABLE. */
export async function startModemPty(opts: ModemPtyOptions): Promise<ModemPty> {
  const dir = opts.link === undefined ? mkdtempSync(join(tmpdir(), 'simedge-pty-')) : undefined;
  const link = opts.link ?? join(dir as string, 'ttyEMU0');
  const child: Socat = spawn(opts.socat ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => { /* socat gone: close() reports nothing more to do */ });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SimedgeError('PTY_UNAVAILABLE', `socat did not start within ${opts.startTimeoutMs ?? 5000} ms: ${log.trim()}`)), opts.startTimeoutMs ?? 5000);
      child.once('error', (e) => { clearTimeout(timer); reject(new SimedgeError('PTY_UNAVAILABLE', `cannot run socat: ${e.message}`)); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new SimedgeError('PTY_UNAVAILABLE', `socat exited with ${String(code)}: ${log.trim()}`)); });
      child.stderr.on('data', (b: Buffer) => {
        log += b.toString('utf8');
        // socat -d -d logs this once both ends are open
        if (log.includes('starting data transfer loop')) { clearTimeout(timer); resolve(); }
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const device = realpathSync(link);
  // Our own slave fd: keeps the master readable after a client closes the port (see header).
  const holdFd = openSync(device, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  opts.modem.connect(stdioStream(child));

  let closing: Promise<void> | undefined;
  return {
    path: link,
    device,
    modem: opts.modem,
    close(): Promise<void> {
      closing ??= (async () => {
        opts.modem.close();
        child.kill('SIGTERM');
        await exited;
        closeSync(holdFd);
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
