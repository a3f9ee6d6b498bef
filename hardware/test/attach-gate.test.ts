// The network confirms registration (+CEREG) only after its attach gates passed - e.g. the core
// answered the RADIUS Accounting-Start - as a real network opens the data path only once the
// session exists. Driven with raw AT bytes; the gate is a promise the test resolves by hand.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { rig, type Rig } from './fixtures.js';

let open: Rig[] = [];
afterEach(() => {
  for (const r of open) r.modem.close();
  open = [];
});

describe('attach gates', () => {
  it('holds the +CEREG URC until the gate resolves, while the attach event has already gone out', async () => {
    const r = rig({ echo: false });
    open.push(r);
    let release: () => void = () => undefined;
    const attached = once(r.network, 'attach');
    r.network.addAttachGate(() => new Promise<void>((resolve) => { release = resolve; }));
    expect(await r.host.cmd('AT+CEREG=2')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    // The modem has registered with the network (attach event out) ...
    await attached;
    // ... but a command answered now comes back with no URC before it: nothing confirmed yet.
    expect(await r.host.cmd('AT')).toEqual({ lines: [], final: 'OK' });
    release();
    expect(await r.host.next()).toMatch(/^\+CEREG: 1,"[0-9A-F]{4}","[0-9A-F]+",7$/);
  });

  it('confirms at once without gates, and a removed gate no longer holds', async () => {
    const r = rig({ echo: false });
    open.push(r);
    const remove = r.network.addAttachGate(() => new Promise<void>(() => undefined)); // never resolves
    remove();
    expect(await r.host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 1');
  });

  it('a failing gate is reported and does not block the modem', async () => {
    const r = rig({ echo: false });
    open.push(r);
    const errors: unknown[] = [];
    r.network.on('gate-error', (e: unknown) => errors.push(e));
    r.network.addAttachGate(() => Promise.reject(new Error('core unreachable')));
    expect(await r.host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 1');
    expect(errors.map((e) => (e as Error).message)).toEqual(['core unreachable']);
  });
});
