// The RADIUS accounting intake against REAL packets from `radclient` (freeradius-utils) [RFC2866]
// with the 3GPP attributes of [TS29.061 §16.4.7], plus hand-made hostile datagrams. Datagrams
// from one sender are handled in order, so a valid "marker" request answered after the hostile
// ones proves they were processed (and not answered) without waiting on a clock.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { startRadiusAccounting, type RadiusAccounting } from '../src/radius/index.js';
import { encodeAccountingRequest, tgppAttribute, verifyAccountingResponse, type Attribute } from '../src/radius/index.js';
import { acctLines, Events, onOffLines, radclient, uliOctets } from './radius-tools.js';

const SECRET = 'testing123';
const IMSI = '240011234000001';
const CELL_1 = 0x01a2d101;
const CELL_2 = 0x01a2d102;

let server: RadiusAccounting | undefined;
let udp: Socket | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  udp?.close();
  udp = undefined;
});

async function start(events = new Events(), now?: () => number, reset = false) {
  server = await startRadiusAccounting({
    secret: SECRET, onAttach: events.onAttach, onDetach: events.onDetach, ...(now && { now }), ...(reset && { onNasReset: events.onNasReset }),
  });
  return { server, events };
}

const start1 = (session = 's-1', cell = CELL_1) =>
  acctLines({ status: 'Start', session, imsi: IMSI, ip: '127.100.0.7', plmn: '24001', uli: uliOctets('24001', 0x0a01, cell) });

describe('RADIUS accounting with radclient [RFC2866]', () => {
  it('Start -> attach with IMSI, framed IP, serving PLMN and the ECI as cell name; answered', async () => {
    const { server, events } = await start();
    const r = await radclient(server.port, SECRET, start1());
    expect(r.code).toBe(0);
    expect(r.out).toContain('Received Accounting-Response');
    const [e] = await events.count(1);
    expect(e).toMatchObject({ kind: 'attach', ev: { imsi: IMSI, ip: '127.100.0.7', plmn: '24001', cell: '01A2D101' } });
    expect(server.stats).toMatchObject({ received: 1, answered: 1, dropped: {} });
  });

  it('Interim-Update with a new ECGI -> location update; Stop -> detach', async () => {
    const { server, events } = await start();
    await radclient(server.port, SECRET, start1());
    const moved = await radclient(server.port, SECRET, acctLines({ status: 'Interim-Update', session: 's-1', uli: uliOctets('24001', 0x0a01, CELL_2) }));
    expect(moved.code).toBe(0);
    const stop = await radclient(server.port, SECRET, acctLines({ status: 'Stop', session: 's-1', imsi: IMSI }));
    expect(stop.code).toBe(0);
    const ev = await events.count(3);
    // The Interim carries only the new location: IP and PLMN are kept from the session.
    expect(ev[1]).toMatchObject({ kind: 'attach', ev: { imsi: IMSI, ip: '127.100.0.7', plmn: '24001', cell: '01A2D102' } });
    expect(ev[2]).toMatchObject({ kind: 'detach', ev: { imsi: IMSI } });
  });

  it('the serving PLMN falls back to the ECGI when 3GPP-SGSN-MCC-MNC is absent (3-digit MNC) [TS29.274 §8.21.5]', async () => {
    const { server, events } = await start();
    const r = await radclient(server.port, SECRET, acctLines({ status: 'Start', session: 's-9', imsi: '310410123456789', ip: '127.100.0.9', uli: uliOctets('310410', 0x0001, 0x0000abc) }));
    expect(r.code).toBe(0);
    expect((await events.count(1))[0]).toMatchObject({ ev: { plmn: '310410', cell: '00000ABC' } });
  });

  it('a late Stop of an older session (device attached elsewhere) does not detach', async () => {
    const { server, events } = await start();
    await radclient(server.port, SECRET, start1('old'));
    await radclient(server.port, SECRET, start1('new', CELL_2));
    const late = await radclient(server.port, SECRET, acctLines({ status: 'Stop', session: 'old', imsi: IMSI }));
    expect(late.code).toBe(0); // recorded (as stale), so answered
    await radclient(server.port, SECRET, acctLines({ status: 'Interim-Update', session: 'old', imsi: IMSI, uli: uliOctets('24001', 1, CELL_1) }));
    expect(events.all.map((e) => e.kind)).toEqual(['attach', 'attach']);
    expect(server.stats.stale).toBe(2);
  });

  it('a Stop of a session this server never saw (a core restart, or a Start sent to another core) -> detach at the packet\'s event time', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const { server, events } = await start(new Events(), () => clock.ms);
    // [RFC2866 §5.2] the NAS has been trying for 3 s: the session ended 3 s before it arrived.
    const r = await radclient(server.port, SECRET, [...acctLines({ status: 'Stop', session: 'before-restart', imsi: IMSI }), 'Acct-Delay-Time = 3']);
    expect(r.code).toBe(0);
    expect(await events.count(1)).toEqual([{ kind: 'detach', ev: { imsi: IMSI, at: clock.ms - 3000 } }]);
    // The NAS missed the answer and sends the Stop again (new identifier, longer delay): reported once.
    await radclient(server.port, SECRET, [...acctLines({ status: 'Stop', session: 'before-restart', imsi: IMSI }), 'Acct-Delay-Time = 6']);
    // A late Interim-Update of the stopped session is stale, not a new attach.
    await radclient(server.port, SECRET, acctLines({ status: 'Interim-Update', session: 'before-restart', imsi: IMSI, ip: '127.100.0.7', plmn: '24001', uli: uliOctets('24001', 1, CELL_1) }));
    expect(events.all).toHaveLength(1);
    expect(server.stats).toMatchObject({ answered: 3, stale: 1, dropped: {} });
  });

  it('a Stop of a never-seen session that ended before the session known here began is stale', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const { server, events } = await start(new Events(), () => clock.ms);
    await radclient(server.port, SECRET, start1('known'));
    clock.ms += 1000;
    const r = await radclient(server.port, SECRET, [...acctLines({ status: 'Stop', session: 'unseen-older', imsi: IMSI }), 'Acct-Delay-Time = 2']);
    expect(r.code).toBe(0);
    // Ended after the known session began: perhaps a newer session started on another core, so
    // the detach is reported and the core judges it against the store's attach record.
    await radclient(server.port, SECRET, acctLines({ status: 'Stop', session: 'unseen-newer', imsi: IMSI }));
    expect((await events.count(2)).map((e) => e.kind)).toEqual(['attach', 'detach']);
    expect(events.all[1]!.ev.at).toBe(clock.ms);
    expect(server.stats.stale).toBe(1);
    // The session known here is still open: its own Stop is reported as well.
    await radclient(server.port, SECRET, acctLines({ status: 'Stop', session: 'known', imsi: IMSI }));
    expect((await events.count(3))[2]).toMatchObject({ kind: 'detach' });
  });

  it('the TAI of a TAI+ECGI location is reported as <MCC><MNC>-<TAC>; an ECGI-only location drops it', async () => {
    const { server, events } = await start();
    await radclient(server.port, SECRET, start1());
    // No User-Location-Info: cell and TAI are kept from the session.
    await radclient(server.port, SECRET, acctLines({ status: 'Interim-Update', session: 's-1', ip: '127.100.0.8' }));
    // [TS29.061 §16.4.7.2] type 129 (ECGI only): 240/01 in BCD, then the ECI.
    await radclient(server.port, SECRET, acctLines({ status: 'Interim-Update', session: 's-1', uli: '0x8142f01001a2d102' }));
    const ev = await events.count(3);
    expect(ev[0]!.ev).toMatchObject({ cell: '01A2D101', tai: '24001-0A01' });
    expect(ev[1]!.ev).toMatchObject({ ip: '127.100.0.8', cell: '01A2D101', tai: '24001-0A01' });
    expect(ev[2]!.ev).toMatchObject({ cell: '01A2D102' });
    expect(ev[2]!.ev).not.toHaveProperty('tai');
  });

  it('a wrong shared secret gets no reply and no event [RFC2866 §3]', async () => {
    const { server, events } = await start();
    const r = await radclient(server.port, 'not-the-secret', start1(), ['-t', '0.5', '-r', '1']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/No reply/);
    expect(r.out).not.toContain('Received');
    await radclient(server.port, SECRET, start1('marker'));
    expect(events.all).toHaveLength(1);
    expect(server.stats.dropped).toEqual({ RADIUS_BAD_AUTHENTICATOR: 1 });
  });

  it('a Start without Framed-IP-Address is not recorded, so not answered', async () => {
    const { server, events } = await start();
    const r = await radclient(server.port, SECRET, acctLines({ status: 'Start', session: 's-2', imsi: IMSI, plmn: '24001', uli: uliOctets('24001', 1, CELL_1) }), ['-t', '0.5', '-r', '1']);
    expect(r.code).not.toBe(0);
    await radclient(server.port, SECRET, start1('marker'));
    expect(events.all).toHaveLength(1);
    expect(server.stats.dropped).toEqual({ RADIUS_MISSING_ATTRIBUTE: 1 });
  });
});

describe('Accounting-On/Off with radclient [RFC2866 §5.1]', () => {
  it('each attach names its session and NAS: NAS-IP-Address, else the source address, then /NAS-Identifier [RFC2865 §5.4, §5.32]', async () => {
    const { server, events } = await start();
    await radclient(server.port, SECRET, start1('s-1')); // NAS-Identifier "pgw-test", no NAS-IP-Address
    await radclient(server.port, SECRET, [...start1('s-2'), 'NAS-IP-Address = 192.0.2.10']);
    await radclient(server.port, SECRET, start1('s-3').filter((l) => !l.startsWith('NAS-Identifier')));
    await events.count(3);
    expect(events.sessions).toEqual([
      { id: 's-1', nas: '127.0.0.1/pgw-test' }, { id: 's-2', nas: '192.0.2.10/pgw-test' }, { id: 's-3', nas: '127.0.0.1' },
    ]);
  });

  it('with onNasReset: one event naming the NAS and the event time; the sessions it held here are over, no detach of their own', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const { server, events } = await start(new Events(), () => clock.ms, true);
    await radclient(server.port, SECRET, start1('s-1'));
    clock.ms += 5000;
    const on = await radclient(server.port, SECRET, [...onOffLines('Accounting-On', 'pgw-test'), 'Acct-Delay-Time = 2']);
    expect(on.code).toBe(0);
    expect(on.out).toContain('Received Accounting-Response');
    const off = await radclient(server.port, SECRET, onOffLines('Accounting-Off', 'pgw-other', '192.0.2.7'));
    expect(off.code).toBe(0);
    expect(events.all.slice(1)).toEqual([
      { kind: 'reset', ev: { nas: '127.0.0.1/pgw-test', at: clock.ms - 2000, status: 'on' } },
      { kind: 'reset', ev: { nas: '192.0.2.7/pgw-other', at: clock.ms, status: 'off' } },
    ]);
    // The session ended with the On: its late Stop and Interim-Update change nothing.
    await radclient(server.port, SECRET, acctLines({ status: 'Stop', session: 's-1', imsi: IMSI }));
    await radclient(server.port, SECRET, acctLines({ status: 'Interim-Update', session: 's-1', imsi: IMSI, uli: uliOctets('24001', 1, CELL_2) }));
    expect(events.all.map((e) => e.kind)).toEqual(['attach', 'reset', 'reset']);
    expect(server.stats).toMatchObject({ answered: 5, dropped: {} });
  });

  it('without onNasReset: a detach for each session this process saw from that NAS, not for other NASes, nor for one begun after the On', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const { server, events } = await start(new Events(), () => clock.ms);
    const other = '240011234000002';
    const late = '240011234000003';
    await radclient(server.port, SECRET, start1('s-1'));
    await radclient(server.port, SECRET, acctLines({ status: 'Start', session: 's-2', imsi: other, ip: '127.100.0.8', plmn: '24001', uli: uliOctets('24001', 1, CELL_2) })
      .map((l) => (l.startsWith('NAS-Identifier') ? 'NAS-Identifier = "pgw-other"' : l)));
    clock.ms += 10_000;
    await radclient(server.port, SECRET, acctLines({ status: 'Start', session: 's-3', imsi: late, ip: '127.100.0.9', plmn: '24001', uli: uliOctets('24001', 1, CELL_2) }));
    clock.ms += 1000;
    // The NAS has been retrying its On for 5 s: it restarted before s-3 began.
    const on = await radclient(server.port, SECRET, [...onOffLines('Accounting-On', 'pgw-test'), 'Acct-Delay-Time = 5']);
    expect(on.code).toBe(0);
    expect(events.all.slice(3)).toEqual([{ kind: 'detach', ev: { imsi: IMSI, at: clock.ms - 5000 } }]);
  });
});

// -- hand-made datagrams --------------------------------------------------------------------

const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; };
const txt = (s: string) => new TextEncoder().encode(s);

function startAttrs(session: string): Attribute[] {
  return [
    { type: 40, value: u32(1) },
    { type: 44, value: txt(session) },
    { type: 8, value: Uint8Array.of(127, 100, 0, 7) },
    tgppAttribute(1, txt(IMSI)),
    tgppAttribute(18, txt('24001')),
    tgppAttribute(22, Uint8Array.from(Buffer.from(uliOctets('24001', 0x0a01, CELL_1).slice(2), 'hex'))),
  ];
}

/** A UDP client that keeps every reply it gets. */
async function client(): Promise<{ send(b: Uint8Array): void; replies: Uint8Array[]; reply(n: number): Promise<Uint8Array> }> {
  const s = createSocket('udp4');
  udp = s;
  const replies: Uint8Array[] = [];
  let waiters: (() => void)[] = [];
  s.on('message', (m) => { replies.push(new Uint8Array(m)); for (const w of waiters.splice(0)) w(); });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return {
    replies,
    send: (b) => s.send(b, server!.port, '127.0.0.1'),
    async reply(n) {
      const deadline = Date.now() + 3000;
      while (replies.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no reply #${n}`);
        await new Promise<void>((resolve) => { const t = setTimeout(resolve, left); waiters.push(() => { clearTimeout(t); resolve(); }); });
      }
      waiters = [];
      return replies[n - 1]!;
    },
  };
}

describe('RADIUS accounting with hostile and repeated datagrams', () => {
  it('a retransmission (same identifier and authenticator) gets the same reply and no second event [RFC2865 §3]', async () => {
    const { events } = await start();
    const c = await client();
    const req = encodeAccountingRequest(7, startAttrs('dup'), SECRET);
    c.send(req);
    c.send(req);
    const [a, b] = [await c.reply(1), await c.reply(2)];
    expect(b).toEqual(a);
    expect(verifyAccountingResponse(a, req.subarray(4, 20), SECRET)).toBe(true);
    expect(events.all).toHaveLength(1);
    expect(server!.stats.duplicates).toBe(1);
  });

  it('garbage is dropped with a stable code, never answered, and the server keeps serving', async () => {
    const { events } = await start();
    const c = await client();
    const good = encodeAccountingRequest(1, startAttrs('ok'), SECRET);
    const badAttrLen = Uint8Array.from(good);
    badAttrLen[21] = 200; // first attribute runs past the end
    // re-sign so only the attribute tiling is wrong
    const resigned = (() => { const p = Uint8Array.from(badAttrLen); p.fill(0, 4, 20); return p; })();
    const { createHash } = await import('node:crypto');
    resigned.set(createHash('md5').update(resigned).update(SECRET).digest(), 4);
    const wrongCode = Uint8Array.from(good);
    wrongCode[0] = 1; // Access-Request
    const longLen = Uint8Array.from(good);
    longLen[2] = 0x20; // length field 8 KiB > datagram
    const unknownStatus = encodeAccountingRequest(2, [{ type: 40, value: u32(99) }, { type: 44, value: txt('x') }], SECRET);
    const noImsi = encodeAccountingRequest(3, [{ type: 40, value: u32(1) }, { type: 44, value: txt('y') }], SECRET);
    const badVsa = encodeAccountingRequest(4, [{ type: 40, value: u32(1) }, { type: 44, value: txt('z') }, { type: 26, value: Uint8Array.of(0, 0, 0x28, 0xaf, 1, 40, 0x32) }], SECRET);
    const garbage = [new Uint8Array(0), Uint8Array.of(4), new Uint8Array(19), resigned, wrongCode, longLen, unknownStatus, noImsi, badVsa];
    for (const g of garbage) c.send(g);
    c.send(good);
    const reply = await c.reply(1);
    expect(reply[1]).toBe(1); // the only reply is the marker's
    expect(c.replies).toHaveLength(1);
    expect(events.all).toHaveLength(1);
    expect(server!.stats.dropped).toEqual({
      RADIUS_MALFORMED: 6, RADIUS_UNSUPPORTED: 2, RADIUS_MISSING_ATTRIBUTE: 1,
    });
  });

  it('Accounting-On from a NAS ends every session it reported [RFC2866 §5.1]', async () => {
    const { events } = await start();
    const c = await client();
    c.send(encodeAccountingRequest(1, startAttrs('a'), SECRET));
    await c.reply(1);
    c.send(encodeAccountingRequest(2, [{ type: 40, value: u32(7) }], SECRET));
    await c.reply(2);
    expect(events.all.map((e) => e.kind)).toEqual(['attach', 'detach']);
  });
});
