// The Moddable adapter, checked in Node: manifest.json is valid and lists files that exist, and the
// ECMA-419 serial adapter runs the AT engine against a fake `device.io.Serial` (a stand-in: there
// is no Moddable SDK or XS here, so the package itself is not built).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import { moddablePlatform, moddableSerial, type Ecma419Serial, type Ecma419SerialOptions } from '../src/adapter/moddable/index.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../src/adapter/moddable');

/** A fake ECMA-419 serial port: a small transmit buffer, reads as ArrayBuffer, a modem at the far end. */
class FakeSerial implements Ecma419Serial {
  static last: FakeSerial | undefined;
  readonly written: number[][] = [];
  closed = false;
  private rx: Uint8Array[] = [];
  constructor(readonly opts: Ecma419SerialOptions) {
    FakeSerial.last = this;
    queueMicrotask(() => this.opts.onWritable?.call(this, 8)); // room for 8 bytes, as an ECMA-419 host reports
  }
  read(): ArrayBuffer | undefined {
    const b = this.rx.shift();
    return b ? b.slice().buffer : undefined;
  }
  write(data: ArrayBuffer): void {
    if (data.byteLength > 8) throw new RangeError('write beyond the free space'); // [ECMA-419 §10.2]
    this.written.push([...new Uint8Array(data)]);
    queueMicrotask(() => this.opts.onWritable?.call(this, 8));
    const text = this.written.flat().map((c) => String.fromCharCode(c)).join('');
    if (text.endsWith('AT+CIMI\r')) this.deliver('\r\n240011234000001\r\n\r\nOK\r\n');
  }
  deliver(s: string): void {
    this.rx.push(Uint8Array.from(s, (c) => c.charCodeAt(0)));
    queueMicrotask(() => this.opts.onReadable?.call(this, s.length));
  }
  close(): void {
    this.closed = true;
  }
}

describe('Moddable adapter (stand-in for XS)', () => {
  it('has a manifest.json whose modules all exist', () => {
    const m = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { modules: Record<string, string>; preload: string[]; platforms: Record<string, unknown> };
    const paths = Object.values(m.modules);
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(existsSync(join(DIR, `${p}.ts`)), p).toBe(true);
    for (const p of m.preload) expect(m.modules[p], p).toBeDefined();
    expect(Object.keys(m.platforms)).toContain('esp32');
    // The Node-only parts must not be in an XS package.
    expect(paths.some((p) => /wire\/(cbor|messages|ed25519)|adapter\/node/.test(p))).toBe(false);
  });

  it('runs an AT command over a fake device.io.Serial, writing within onWritable room', async () => {
    const timers: Array<() => void> = [];
    const platform = moddablePlatform({
      Timer: { set: (fn) => timers.push(fn), clear: () => undefined },
      randomBytes: (n) => new Uint8Array(n),
    });
    const stream = moddableSerial(FakeSerial, { port: 2, baud: 115200 });
    const port = FakeSerial.last!;
    expect(port.opts).toMatchObject({ port: 2, baud: 115200, format: 'buffer' });
    const at = new AtEngine(stream, platform);
    await expect(at.send('AT+CIMI')).resolves.toEqual(['240011234000001']);
    expect(port.written.every((w) => w.length <= 8)).toBe(true);
    expect(port.written.flat().map((c) => String.fromCharCode(c)).join('')).toBe('AT+CIMI\r');
    at.close();
    expect(port.closed).toBe(true);
  });
});
