// The network simulator's RADIUS accounting export against the core's real accounting server
// [RFC2866] [TS29.061 §16.4.7]: Start on first attach, Interim-Update on a location change,
// Stop on detach, each retransmitted until answered (bounded). Loss is made real with a UDP
// relay that drops chosen datagrams between the two.
import { createSocket, type Socket } from 'node:dgram';
import type { AttachEvent, DetachEvent } from '@simedge/device-sdk/wire';
import { startRadiusAccounting, type RadiusAccounting } from '@simedge/core-validator/radius';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkSim, type CellInfo } from '../src/network.js';
import { exportAccounting, type AccountingExport } from '../src/network-radius.js';

const SECRET = 'netsim-secret';
const IMSI = '240011234000001';
// Named as in examples/network-in-a-box: id = ci, the ECI in 8 hex digits, which is how the core names cells.
const CELLS: CellInfo[] = [
  { id: '01A2D101', plmn: '24001', tac: '0A01', ci: '01A2D101' },
  { id: '01A2D102', plmn: '24001', tac: '0A01', ci: '01A2D102' },
];

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

type Ev = ['attach', AttachEvent] | ['detach', DetachEvent];

async function core(): Promise<{ server: RadiusAccounting; events: Ev[] }> {
  const events: Ev[] = [];
  const server = await startRadiusAccounting({ secret: SECRET, onAttach: (e) => events.push(['attach', e]), onDetach: (e) => events.push(['detach', e]) });
  open.push(server);
  return { server, events };
}

function exporter(network: NetworkSim, port: number, over: { secret?: string; timeoutMs?: number; retries?: number } = {}): AccountingExport & { errors: Error[] } {
  const errors: Error[] = [];
  const x = exportAccounting(network, { host: '127.0.0.1', port, secret: SECRET, onError: (e) => errors.push(e), ...over });
  open.push(x);
  return Object.assign(x, { errors });
}

/**
 * A count that can be awaited: the exporter is idle once one answer is back, while a retransmission
 * sent just before may still be on its way (a slow machine outwaits the 50 ms timeout).
 */
function counter(): { readonly n: number; bump(): void; reach(k: number): Promise<void> } {
  let n = 0;
  const waiting: { k: number; resolve: () => void }[] = [];
  return {
    get n() { return n; },
    bump() {
      n++;
      for (const w of waiting.splice(0)) if (n >= w.k) w.resolve(); else waiting.push(w);
    },
    reach: (k) => (n >= k ? Promise.resolve() : new Promise((resolve) => { waiting.push({ k, resolve }); })),
  };
}

/** A UDP relay in front of `target` that drops the client datagrams whose index `drop` selects. */
async function lossyRelay(target: number, drop: (i: number) => boolean): Promise<{ port: number; seen: Uint8Array[]; arrived: ReturnType<typeof counter> }> {
  const s: Socket = createSocket('udp4');
  const up: Socket = createSocket('udp4');
  const seen: Uint8Array[] = [];
  const arrived = counter();
  let client: { address: string; port: number } | undefined;
  s.on('message', (m, from) => {
    client = from;
    if (!drop(seen.push(new Uint8Array(m)) - 1)) up.send(m, target, '127.0.0.1');
    arrived.bump();
  });
  up.on('message', (m) => { if (client) s.send(m, client.port, client.address); });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => s.close(() => up.close(() => r()))) });
  return { port: s.address().port, seen, arrived };
}

describe('exportAccounting -> startRadiusAccounting', () => {
  it('Start, Interim-Update on a location change, Stop: the core sees what the simulator emitted', async () => {
    const { server, events } = await core();
    const network = new NetworkSim({ cells: CELLS });
    const emitted: Ev[] = [];
    network.on('attach', (e) => emitted.push(['attach', e])).on('detach', (e) => emitted.push(['detach', e]));
    const x = exporter(network, server.port, { timeoutMs: 2000 }); // no loss here: no retransmission either
    network.register(IMSI, '01A2D101');
    network.register(IMSI, '01A2D101'); // same cell again: nothing to report
    network.register(IMSI, '01A2D102');
    network.deregister(IMSI);
    await x.idle();
    expect(x.stats).toMatchObject({ sent: 3, answered: 3, failed: 0, retransmitted: 0 });
    expect(x.errors).toEqual([]);
    const strip = (e: Ev) => (e[0] === 'attach' ? ['attach', { ...e[1], at: 0 }] : ['detach', { ...e[1], at: 0 }]);
    // Times are the core's receive times; everything else is what the simulator said.
    expect(events.map(strip)).toEqual([emitted[0], emitted[2], emitted[3]].map((e) => strip(e!)));
    expect(events[1]).toMatchObject(['attach', { cell: '01A2D102', ip: '100.64.0.1', plmn: '24001' }]);
  });

  it('a lost request is retransmitted (same bytes) and counted once by the core', async () => {
    const { server, events } = await core();
    const relay = await lossyRelay(server.port, (i) => i === 0);
    const network = new NetworkSim({ cells: CELLS });
    const x = exporter(network, relay.port, { timeoutMs: 50 });
    network.register(IMSI, '01A2D101');
    await x.idle();
    expect(x.stats).toMatchObject({ sent: 1, answered: 1, failed: 0 });
    expect(x.stats.retransmitted).toBeGreaterThanOrEqual(1); // more only if a slow machine outwaits 50 ms
    // Every copy the exporter sent reaches the relay (loopback); none beyond those.
    await relay.arrived.reach(1 + x.stats.retransmitted);
    expect(relay.seen.length).toBe(1 + x.stats.retransmitted);
    for (const d of relay.seen) expect(d).toEqual(relay.seen[0]);
    expect(events).toHaveLength(1);
  });

  it('a lost response: the retransmission is answered from the core reply cache, no second event', async () => {
    const { server, events } = await core();
    // Drop nothing going in; the relay drops the first response by answering nobody the first time.
    const responses = counter();
    const s = createSocket('udp4');
    const up = createSocket('udp4');
    let client: { address: string; port: number } | undefined;
    s.on('message', (m, from) => { client = from; up.send(m, server.port, '127.0.0.1'); });
    up.on('message', (m) => {
      responses.bump();
      if (responses.n > 1 && client) s.send(m, client.port, client.address);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise<void>((r) => s.close(() => up.close(() => r()))) });
    const network = new NetworkSim({ cells: CELLS });
    const x = exporter(network, s.address().port, { timeoutMs: 50 });
    network.register(IMSI, '01A2D101');
    await x.idle();
    expect(x.stats).toMatchObject({ answered: 1, failed: 0 });
    expect(x.stats.retransmitted).toBeGreaterThanOrEqual(1);
    // The core answers every copy (duplicates from its reply cache): once all those answers are
    // back at the relay, every copy still in flight when the exporter went idle has been counted.
    await responses.reach(1 + x.stats.retransmitted);
    expect(server.stats.duplicates).toBe(x.stats.retransmitted);
    expect(events).toHaveLength(1);
  });

  it('gives up after the bounded retransmissions when the secret is wrong, and the core records nothing', async () => {
    const { server, events } = await core();
    const network = new NetworkSim({ cells: CELLS });
    const x = exporter(network, server.port, { secret: 'wrong', timeoutMs: 20, retries: 2 });
    network.register(IMSI, '01A2D101');
    await x.idle();
    expect(x.stats).toMatchObject({ sent: 1, retransmitted: 2, answered: 0, failed: 1 });
    expect(x.errors).toHaveLength(1);
    // A marker with the right secret: once answered, the server has handled every earlier datagram.
    const marker = new NetworkSim({ cells: CELLS });
    const m = exporter(marker, server.port, { timeoutMs: 2000 });
    marker.register('240011234000002', '01A2D101');
    await m.idle();
    expect(m.stats.answered).toBe(1);
    expect(server.stats.dropped).toEqual({ RADIUS_BAD_AUTHENTICATOR: 3 });
    expect(events.map((e) => e[1].imsi)).toEqual(['240011234000002']);
  });

  it('a cell identity that does not fit the 28-bit ECI is reported, not sent', async () => {
    const { server } = await core();
    const network = new NetworkSim({ cells: [{ id: 'big', plmn: '24001', tac: '0001', ci: 'FFFFFFFF' }] });
    const x = exporter(network, server.port);
    network.register(IMSI, 'big');
    await x.idle();
    expect(x.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(x.errors[0]?.message).toMatch(/28-bit ECI/);
  });
});
