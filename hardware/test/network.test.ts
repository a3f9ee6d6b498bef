// The network simulator's attach/detach events and session table.
import { describe, expect, it } from 'vitest';
import type { AttachEvent, DetachEvent, TraceEvent } from '@simedge/device-sdk/wire';
import { once } from 'node:events';
import { NetworkSim } from '../src/index.js';
import { CELLS, rig } from './fixtures.js';

function sim() {
  const attaches: AttachEvent[] = [];
  const detaches: DetachEvent[] = [];
  const traces: TraceEvent[] = [];
  let t = 1000;
  const network = new NetworkSim({ cells: CELLS, trace: (e) => traces.push(e), now: () => ++t });
  network.on('attach', (e) => attaches.push(e)).on('detach', (e) => detaches.push(e));
  return { network, attaches, detaches, traces };
}

describe('NetworkSim', () => {
  it('register allocates an address in 100.64.0.0/10, records the session and emits attach (step 201)', () => {
    const { network, attaches, traces } = sim();
    const s = network.register('244051234567890', 'home-1');
    expect(s).toEqual({ ip: '100.64.0.1', cell: CELLS[0], roaming: false });
    expect(attaches).toEqual([{ imsi: '244051234567890', ip: '100.64.0.1', plmn: '24405', cell: 'home-1', tai: '24405-0A01', at: 1001 }]);
    expect(network.sessions()).toEqual([{ imsi: '244051234567890', ip: '100.64.0.1', cell: 'home-1' }]);
    expect(traces).toEqual([expect.objectContaining({ step: 201, actor: 'network', ev: 'attach', imsi: '244051234567890' })]);
  });

  it('keeps the address on a location update and flags roaming by the home PLMN', () => {
    const { network, attaches } = sim();
    const a = network.register('244051234567890', 'home-1');
    const b = network.register('244051234567890', 'visited');
    expect(b.ip).toBe(a.ip);
    expect(b.roaming).toBe(true);
    expect(attaches.map((e) => e.cell)).toEqual(['home-1', 'visited']);
    expect(network.sessions()).toEqual([{ imsi: '244051234567890', ip: a.ip, cell: 'visited' }]);
    // a 3-digit MNC home PLMN supplied by the SIM decides, not the IMSI prefix
    expect(network.register('310410123456789', 'us', { homePlmn: '310410' }).roaming).toBe(false);
    expect(network.register('310410123456789', 'us', { homePlmn: '31041' }).roaming).toBe(true);
  });

  it('gives distinct IMSIs distinct addresses and keeps one across a detach', () => {
    const { network } = sim();
    const ips = Array.from({ length: 300 }, (_, i) => network.register(`24405${String(i).padStart(10, '0')}`, 'home-1').ip);
    expect(new Set(ips).size).toBe(300);
    expect(ips.some((ip) => ip.endsWith('.0') || ip.endsWith('.255'))).toBe(false);
    network.deregister('244050000000001');
    expect(network.register('244050000000001', 'home-2').ip).toBe(ips[1]);
  });

  it('deregister ends the session and emits detach once; unknown IMSIs are a no-op', () => {
    const { network, detaches, traces } = sim();
    network.register('244051234567890', 'home-1');
    network.deregister('244051234567890');
    network.deregister('244051234567890');
    network.deregister('999990000000000');
    expect(detaches).toEqual([{ imsi: '244051234567890', at: 1002 }]);
    expect(network.sessions()).toEqual([]);
    expect(traces.map((e) => e.ev)).toEqual(['attach', 'detach']);
  });

  it('rejects unknown cells, bad IMSIs and bad cell tables with RangeError/TypeError', () => {
    const { network, attaches } = sim();
    expect(() => network.cell('nowhere')).toThrow(RangeError);
    expect(() => network.register('244051234567890', 'nowhere')).toThrow(RangeError);
    expect(() => network.register('24405x', 'home-1')).toThrow(RangeError);
    expect(attaches).toEqual([]);
    expect(network.cell('visited')).toEqual(CELLS[2]);
    expect(() => new NetworkSim({ cells: [] })).toThrow(TypeError);
    expect(() => new NetworkSim({ cells: [CELLS[0]!, CELLS[0]!] })).toThrow(RangeError);
    expect(() => new NetworkSim({ cells: [{ id: 'x', plmn: '2440', tac: '0A01', ci: '01A2D101' }] })).toThrow(RangeError);
    expect(() => new NetworkSim({ cells: [{ id: 'x', plmn: '24405', tac: 'A01', ci: '01A2D101' }] })).toThrow(RangeError);
    expect(() => new NetworkSim({ cells: [{ id: 'x', plmn: '24405', tac: '0A01', ci: '01A2D' }] })).toThrow(RangeError);
  });

  it('takes its addresses from ipPool when given (e.g. loopback for network attestation), RangeError for a bad CIDR', () => {
    const network = new NetworkSim({ cells: CELLS, ipPool: '127.100.0.0/16' });
    expect(network.register('244051234567890', 'home-1').ip).toBe('127.100.0.1');
    expect(network.register('244059999999999', 'home-1').ip).toBe('127.100.0.2');
    expect(() => new NetworkSim({ cells: CELLS, ipPool: '127.100.0.1/16' })).toThrow(RangeError); // host bits set
    expect(() => new NetworkSim({ cells: CELLS, ipPool: '10.0.0.0' })).toThrow(RangeError);
    expect(() => new NetworkSim({ cells: CELLS, ipPool: '300.0.0.0/8' })).toThrow(RangeError);
  });

  it('network-initiated detach: +CEREG: 0 for the host, detach event for the core', async () => {
    const r = rig({ echo: false });
    expect(await r.host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 1');
    const detached = once(r.network, 'detach');
    r.modem.networkDetach();
    await detached;
    expect(await r.host.next()).toBe('+CEREG: 0');
    expect(r.modem.registered).toBe(false);
    r.modem.close();
  });
});
