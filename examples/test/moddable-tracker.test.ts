// The Moddable tracker's logic (examples/moddable-tracker/tracker.ts) in Node, with the SDK's
// Moddable adapter (moddableSerial, moddablePlatform) over a stand-in ECMA-419 `device.io.Serial`
// bridged byte for byte to the hardware emulator in the bg95 dialect, whose internal MQTT (QMT)
// reaches the real embedded broker, core validator and edge agents. The XS build itself
// (main.js, manifest.json, mcconfig) is NOT run here: there is no Moddable SDK on this machine.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import * as core from '@simedge/device-sdk/core';
import { deviceCodec, moddablePlatform, moddableSerial, type Ecma419Serial, type Ecma419SerialOptions } from '@simedge/device-sdk/moddable';
import type { DevReady, Term } from '@simedge/device-sdk/wire';
import { ModemEmulator, duplexPair } from '@simedge/hardware';
import type { ByteStream } from '@simedge/device-sdk/core';
import { VISITED_CELL } from '../network-in-a-box/scenario.js';
import { startTracker, type Tracker } from '../moddable-tracker/tracker.js';
import { HOME_CELL, exampleWorld, leftovers, type ExampleWorld } from './bench-world.js';

const SIM = { imsi: '240011234000301', iccid: '89460112340003010' };

/** A stand-in for Moddable's ECMA-419 `device.io.Serial` whose far end is a ByteStream (the emulator's). */
function ecma419Over(wire: ByteStream): new (o: Ecma419SerialOptions) => Ecma419Serial {
  return class implements Ecma419Serial {
    private rx: Uint8Array[] = [];
    constructor(private readonly o: Ecma419SerialOptions) {
      wire.onReadable((b) => {
        this.rx.push(b.slice());
        this.o.onReadable?.call(this, b.length);
      });
      queueMicrotask(() => this.o.onWritable?.call(this, 64)); // an ECMA-419 host reports its free space
    }
    read(): ArrayBuffer | undefined {
      const b = this.rx.shift();
      return b ? b.slice().buffer : undefined;
    }
    write(data: ArrayBuffer): void {
      if (data.byteLength > 64) throw new RangeError('write beyond the free space'); // [ECMA-419 §10.2]
      wire.write(new Uint8Array(data));
      queueMicrotask(() => this.o.onWritable?.call(this, 64));
    }
    close(): void {
      wire.close();
    }
  };
}

/** Events the tracker reports, with a wait on the next one that matches. */
function recorder() {
  const events: Array<{ kind: string; data: unknown }> = [];
  const waiters: Array<{ match: (k: string, d: unknown) => boolean; resolve: (d: unknown) => void }> = [];
  return {
    events,
    on: (kind: string, data: unknown) => {
      events.push({ kind, data });
      for (const w of waiters.filter((x) => x.match(kind, data))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(data);
      }
    },
    next<T>(kind: string, pred: (d: T) => boolean, timeoutMs: number): Promise<T> {
      const seen = events.find((e) => e.kind === kind && pred(e.data as T));
      if (seen) return Promise.resolve(seen.data as T);
      return new Promise<T>((resolve, reject) => {
        // A failure guard only.
        const t = setTimeout(() => reject(new Error(`no ${kind} within ${timeoutMs} ms: ${JSON.stringify(events)}`)), timeoutMs);
        waiters.push({ match: (k, d) => k === kind && pred(d as T), resolve: (d) => { clearTimeout(t); resolve(d as T); } });
      });
    },
  };
}

let ex: ExampleWorld | undefined;
let tracker: Tracker | undefined;
afterEach(async () => {
  await tracker?.stop().catch(() => undefined);
  tracker = undefined;
  await ex?.stop();
  ex = undefined;
});

describe('examples/moddable-tracker (tracker.ts in Node; bg95 emulator; real core and edge)', () => {
  it('[FIG. 2 201-210; claim 2] provisions, reports its cell to fn, re-provisions when it roams, switches off', async () => {
    ex = await exampleWorld('moddable-tracker', SIM);
    const { world } = ex;
    const [modemSide, deviceSide] = duplexPair();
    const modem = new ModemEmulator({ sim: SIM, network: world.network, cell: HOME_CELL, dialect: 'bg95', broker: world.broker.url });
    modem.connect(modemSide);

    const rec = recorder();
    const Serial = ecma419Over(deviceSide);
    tracker = startTracker({
      sdk: { ...core, deviceCodec },
      serial: moddableSerial(Serial, { port: 2, transmit: 17, receive: 16, baud: 115200 }),
      platform: moddablePlatform({ Timer: { set: (fn, ms) => setTimeout(fn, ms), clear: (id) => clearTimeout(id as NodeJS.Timeout) }, randomBytes: (n) => new Uint8Array(randomBytes(n)) }),
      template: ex.template,
      broker: { host: 'mqtt.operator.example', port: 1883 }, // the emulator's DNS sends it to the embedded broker
      post: async (url, body) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json(),
      on: rec.on,
    });

    const first = await tracker.started;
    expect(first.edge).toBe('edge-a');
    expect(await rec.next('result', () => true, 5000)).toEqual({ n: 1, cell: `24001/0A01/${HOME_CELL}`, moved: false, roaming: false });

    // Into the visited network (served by edge-b): a new provision first, then the old one ends.
    modem.moveTo(VISITED_CELL);
    const second = await rec.next<DevReady>('ready', (r) => r.pid !== first.pid, 10_000);
    expect(second.edge).toBe('edge-b');
    expect(await rec.next<Term>('term', (t) => t.pid === first.pid, 10_000)).toMatchObject({ pid: first.pid });
    expect(await rec.next<{ roaming: boolean }>('result', (r) => r.roaming, 5000)).toEqual({ n: 1, cell: `24405/0C03/${VISITED_CELL}`, moved: false, roaming: true });
    expect(tracker.ready?.pid).toBe(second.pid);

    const terms = await tracker.stop();
    tracker = undefined;
    expect(terms).toEqual([{ t: 'term', pid: second.pid, why: 'bye' }]);
    await world.core.idle();
    expect(await leftovers(world)).toEqual({ instances: 0, live: 0 });
    expect(world.network.sessions()).toEqual([]);
    expect(rec.events.filter((e) => e.kind === 'error')).toEqual([]);
    expect(rec.events.filter((e) => e.kind === 'position').map((e) => (e.data as { ci: string }).ci)).toEqual([HOME_CELL, VISITED_CELL]);
  });
});
