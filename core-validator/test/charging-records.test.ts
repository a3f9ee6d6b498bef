// Charging records [issue 4 item 4]: (IMSI, service, edge, start, stop) per service of a
// provision, opened on COMPLETED, closed on REMOVED, exported as CSV [RFC4180]. End to end through
// the real broker, and the store's range query and the CSV quoting on their own.
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore, csvField, toCsv } from '../src/index.js';
import { IMSI, downOf, startWorld, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('charging records through the flow', () => {
  it('one record per service opens at ready and closes at removed; CSV has the IMSI, service, edge and times', async () => {
    w = await startWorld();
    const t0 = w.clock.ms;
    const acc = await w.provision('p1', w.template({ svc: [{ n: 'onem2m-cse', ver: '^1', res: { mem: 32 } }, { n: 'fn', res: { mem: 16 } }] }));
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.core.idle();
    expect(await w.core.store.charging()).toEqual([
      { imsi: IMSI, pid: acc.pid, service: 'onem2m-cse', edge: 'edge-a', start: t0 },
      { imsi: IMSI, pid: acc.pid, service: 'fn', edge: 'edge-a', start: t0 },
    ]);

    w.clock.ms += 90_000;
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    await w.obs.waitFor(downOf(IMSI, 'term'), 'term');
    await w.core.idle();
    expect((await w.core.store.charging()).map((r) => r.stop)).toEqual([t0 + 90_000, t0 + 90_000]);

    const start = new Date(t0).toISOString();
    const stop = new Date(t0 + 90_000).toISOString();
    expect(await w.core.chargingCsv()).toBe(
      'imsi,pid,service,edge,start,stop,seconds\r\n'
      + `${IMSI},${acc.pid},onem2m-cse,edge-a,${start},${stop},90\r\n`
      + `${IMSI},${acc.pid},fn,edge-a,${start},${stop},90\r\n`,
    );
    // a period that ended before the provision started has no rows
    expect(await w.core.chargingCsv(t0 - 10_000, t0)).toBe('imsi,pid,service,edge,start,stop,seconds\r\n');
  });

  it('a deploy that fails or times out is never charged', async () => {
    w = await startWorld({ opTimeoutMs: 100 });
    w.edgeA.auto = false;
    await w.provision('p1');
    await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT');
    await w.core.idle();
    expect(await w.core.store.charging()).toEqual([]);
  });
});

describe('SqliteStore charging', () => {
  it('open is idempotent per (pid, service); close sets stop once; range = records overlapping [from, to)', async () => {
    const s = new SqliteStore();
    await s.openCharging([{ imsi: IMSI, pid: 'p-1', service: 'cse', edge: 'e', start: 1000 }]);
    await s.openCharging([{ imsi: IMSI, pid: 'p-1', service: 'cse', edge: 'e', start: 1500 }]);
    await s.openCharging([{ imsi: IMSI, pid: 'p-2', service: 'cse', edge: 'e', start: 5000 }]);
    await s.closeCharging('p-1', 2000);
    await s.closeCharging('p-1', 9999);
    expect(await s.charging()).toEqual([
      { imsi: IMSI, pid: 'p-1', service: 'cse', edge: 'e', start: 1000, stop: 2000 },
      { imsi: IMSI, pid: 'p-2', service: 'cse', edge: 'e', start: 5000 },
    ]);
    expect((await s.charging({ from: 2001 })).map((r) => r.pid)).toEqual(['p-2']); // p-1 ended before
    expect((await s.charging({ to: 5000 })).map((r) => r.pid)).toEqual(['p-1']); // p-2 starts at the end
    expect((await s.charging({ from: 1500, to: 6000 })).map((r) => r.pid)).toEqual(['p-1', 'p-2']);
    expect((await s.charging({ from: 10_000_000 })).map((r) => r.pid)).toEqual(['p-2']); // still open
    await s.close();
  });
});

describe('CSV [RFC4180 §2]', () => {
  it('quotes fields with a comma, quote, CR or LF and doubles inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('')).toBe('');
  });

  it('one CRLF-terminated line per record after the header; an open record has empty stop and seconds', () => {
    const csv = toCsv([{ imsi: '1', pid: 'p', service: 'x,"y"', edge: 'e', start: 0 }]);
    expect(csv).toBe('imsi,pid,service,edge,start,stop,seconds\r\n1,p,"x,""y""",e,1970-01-01T00:00:00.000Z,,\r\n');
  });
});
