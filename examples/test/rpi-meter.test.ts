// The Raspberry Pi meter (examples/rpi-meter/meter.ts) as a REAL child process against the
// emulated SIM7600 on a real pseudo-terminal (socat), with the real embedded broker, core
// validator and edge agents in this process: it reaches ready, sends meter readings to its edge
// function, and on SIGINT switches off with a term, exit code 0 and nothing left running.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemEmulator, NetworkSim, startModemPty, type ModemPty } from '@simedge/hardware';
import { EXAMPLES, HOME_CELL, exampleWorld, leftovers, type ExampleWorld } from './bench-world.js';
import { spawnTsx, type JsonChild } from './child.js';

const SIM = { imsi: '240011234000201', iccid: '89460112340002010' };
const METER = join(EXAMPLES, 'rpi-meter', 'meter.ts');

let ex: ExampleWorld | undefined;
let pty: ModemPty | undefined;
let proc: JsonChild | undefined;
let dir: string | undefined;
afterEach(async () => {
  proc?.kill();
  proc = undefined;
  await pty?.close();
  pty = undefined;
  await ex?.stop();
  ex = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('examples/rpi-meter (child process, sim7600 emulator on a PTY, real core and edge)', () => {
  it('[FIG. 2 201-210] provisions, uses its fn service, and switches off with a term on SIGINT', async () => {
    ex = await exampleWorld('rpi-meter', SIM);
    const { world } = ex;
    dir = mkdtempSync(join(tmpdir(), 'simedge-meter-'));
    writeFileSync(join(dir, 'meter.cose'), ex.template);
    writeFileSync(join(dir, 'kwh'), '1234.5\n');
    const modem = new ModemEmulator({ sim: SIM, network: world.network, cell: HOME_CELL, dialect: 'sim7600' });
    pty = await startModemPty({ modem });

    proc = spawnTsx(METER, ['--port', pty.path, '--broker', world.broker.url, '--template', join(dir, 'meter.cose'), '--meter-file', join(dir, 'kwh'), '--period', '100'], dir);
    expect(await proc.line('attached', 20_000)).toMatchObject({ imsi: SIM.imsi, plmn: '24001', cell: HOME_CELL, roaming: false });
    const ready = await proc.line('ready', 20_000) as { pid: string; edge: string; svc: Array<{ n: string; ep: string }> };
    expect(ready.edge).toBe('edge-a');
    expect(ready.svc.map((s) => s.n)).toEqual(['fn']);
    expect(await proc.line('reading', 10_000)).toMatchObject({ n: 1, kwh: 1234.5, result: { n: 1, kwh: 1234.5, delta: null } });

    // The meter moves on; a later reading carries the consumption the edge function computed from its state.
    // Replaced atomically: the meter reads every 100 ms and must not catch the file half-written.
    writeFileSync(join(dir, 'kwh.next'), '1235.75\n');
    renameSync(join(dir, 'kwh.next'), join(dir, 'kwh'));
    const later = await proc.line('reading', 10_000, (l) => l.kwh === 1235.75);
    expect(later.result).toMatchObject({ kwh: 1235.75, delta: 1.25 });

    proc.child.kill('SIGINT');
    expect(await proc.line('term', 10_000)).toEqual({ t: 'term', pid: ready.pid, why: 'bye' });
    expect(await proc.line('off', 10_000)).toEqual({ t: 'off', terms: 1 });
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.lines.filter((l) => l.t === 'error')).toEqual([]);
    await world.core.idle();
    expect(await leftovers(world)).toEqual({ instances: 0, live: 0 });
    expect(world.network.sessions()).toEqual([]); // AT+CFUN=0 went over the PTY: detached
  });

  it('exits 1 with a stable code when the template file is missing, and 2 on bad usage', async () => {
    dir = mkdtempSync(join(tmpdir(), 'simedge-meter-'));
    const missing = spawnTsx(METER, ['--template', join(dir, 'nope.cose')], dir);
    proc = spawnTsx(METER, ['--period', 'soon'], dir);
    expect(await missing.line('error', 10_000)).toMatchObject({ code: 'INPUT_UNREADABLE' });
    expect((await missing.exited).code).toBe(1);
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr()).toContain('--period');
  });
});
