// Timings and fault injection: per-command latency and registration delay as configured, queued
// input answered in order, and faults (spurious ERROR replies, dropped output bytes, delays) that
// are the same for the same seed.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemEmulator, NetworkSim, duplexPair, type ModemFaults, type ModemTimings } from '../src/index.js';
import { CELLS, SIM } from './fixtures.js';
import { Host } from './host.js';

let modems: ModemEmulator[] = [];
afterEach(() => { for (const m of modems) m.close(); modems = []; });

function make(o: { faults?: ModemFaults; timings?: ModemTimings } = {}): { host: Host; network: NetworkSim; modem: ModemEmulator } {
  const network = new NetworkSim({ cells: CELLS });
  const [a, b] = duplexPair();
  const modem = new ModemEmulator({ sim: SIM, network, cell: 'home-1', echo: false, ...o });
  modem.connect(a);
  modems.push(modem);
  return { host: new Host(b), network, modem };
}

/** Finals of `n` plain AT commands. */
async function finals(faults: ModemFaults, n: number): Promise<string[]> {
  const { host } = make({ faults });
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await host.cmd('AT')).final);
  return out;
}

describe('fault injection', () => {
  it('errorReplyRate answers some lines ERROR, the same ones for the same seed', async () => {
    const a = await finals({ errorReplyRate: 0.5, seed: 42 }, 40);
    const b = await finals({ errorReplyRate: 0.5, seed: 42 }, 40);
    const c = await finals({ errorReplyRate: 0.5, seed: 7 }, 40);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toContain('OK');
    expect(a).toContain('ERROR');
  });

  it('an injected ERROR leaves the command unexecuted', async () => {
    const { host, modem } = make({ faults: { errorReplyRate: 1 } });
    expect(await host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'ERROR' });
    expect(modem.registered).toBe(false);
  });

  it('dropByteEvery drops every n-th byte of the output, counted over the session', async () => {
    const { host } = make({ faults: { dropByteEvery: 5 } });
    host.send('AT\rAT\r');
    // "\r\nOK\r\n" twice = 12 bytes; bytes 5 and 10 (the first "\r" of the first terminator, the "K" of the second OK) are gone
    expect(await host.next()).toBe('OK');
    expect(await host.next()).toBe('O');
    expect(host.raw).toBe('\r\nOK\n\r\nO\r\n');
  });

  it('delayMs delays responses by a seeded amount: the same seed, the same order of events', async () => {
    const run = async (): Promise<string[]> => {
      const { host } = make({ faults: { delayMs: 30, seed: 3, errorReplyRate: 0.3 } });
      const got: string[] = [];
      for (let i = 0; i < 8; i++) got.push((await host.cmd('AT+CFUN?')).final);
      return got;
    };
    expect(await run()).toEqual(await run());
  });

  it('rejects nonsense settings with RangeError', () => {
    const network = new NetworkSim({ cells: CELLS });
    expect(() => new ModemEmulator({ sim: SIM, network, cell: 'home-1', faults: { dropByteEvery: 1 } })).toThrow(RangeError);
    expect(() => new ModemEmulator({ sim: SIM, network, cell: 'home-1', faults: { errorReplyRate: 2 } })).toThrow(RangeError);
    expect(() => new ModemEmulator({ sim: SIM, network, cell: 'home-1', timings: { commandMs: [5, 1] } })).toThrow(RangeError);
  });
});

describe('timings', () => {
  it('per-command latency delays the answer, and input queued meanwhile is answered in order', async () => {
    const { host } = make({ timings: { perCommand: { '+CFUN': 120 } } });
    const t0 = Date.now();
    host.send('AT+CFUN?\rAT+CIMI\r');
    expect(await host.next()).toBe('+CFUN: 0');
    // Node arms timers against the loop's cached time, which can trail Date.now() by however long
    // the current loop turn has run: slack for that, not for the latency under test.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(await host.next()).toBe('OK');
    expect(await host.next()).toBe(SIM.imsi);
    expect(await host.next()).toBe('OK');
  });

  it('registration happens registerMs after the radio is switched on', async () => {
    const { host, network } = make({ timings: { registerMs: [150, 150] } });
    const attached = once(network, 'attach');
    // The clock starts before the command: the emulator arms the registration timer while handling
    // it, before its OK reaches us. Slack for timers armed against the loop's cached time.
    const t0 = Date.now();
    expect(await host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    await attached;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(130);
  });
});
