// The provisioning state machine on a FakeClock: retries with jittered exponential backoff per
// reason (which failures are retried and which are final), the data budget (a send admitted only
// with room for the replies it causes, refused with BUDGET_EXCEEDED, counted both ways, a reply's
// reservation released when it comes and kept when it does not, the MQTT link's CONNECT and
// keep-alive, a new UTC day resets it, survives a reboot via snapshot), and the graceful switch-off (bye, deadline, unacknowledged pids reported). The core is
// simulated by the test through an in-memory transport: the real core is exercised in test/e2e and
// in node-device-modem.test.ts.
import { describe, expect, it } from 'vitest';
import { budgetDriver, connectCost, DataBudget, DAY_MS, metered, publishCost, REPLY_BYTES, subscribeCost } from '../src/core/budget.js';
import { MqttSession } from '../src/core/transport/session.js';
import type { DriverEvents, MqttDriver } from '../src/core/transport/types.js';
import { BYE_RESEND_MS, isRetryable, Provisioner, type ProvisionerOptions, type RetryInfo } from '../src/core/provisioner.js';
import type { ProvisionTransport } from '../src/core/provision.js';
import { wireCodec } from '../src/adapter/node/transport.js';
import { SimedgeError } from '../src/wire/codes.js';
import { decodeDown, decodeUp, encodeMsg, type DownMsg, type UpMsg } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import type { TraceEvent } from '../src/wire/trace.js';
import { FakeClock, flush } from './core-fake-clock.js';

const IMSI = '240011234000001';
const INFO = { imsi: IMSI, iccid: '89460112340000010', plmn: '24001', cell: '01A2D101' };
const TPL = new Uint8Array(200).fill(0xd2);
const NONCE = new Uint8Array(16).fill(7);
const UP = topics.deviceUp(IMSI);
const DOWN = topics.deviceDown(IMSI);
/** The first hello of a machine on a FakeClock (its rid: 8 bytes of 0x80 in hex). */
const HELLO = encodeMsg({ t: 'hello', rid: '80'.repeat(8), imsi: IMSI, iccid: INFO.iccid, plmn: INFO.plmn, cell: INFO.cell, why: 'on' });
/** What the meter reserves on the air for a reply (core/budget.ts REPLY_BYTES). */
const reply = (k: string): number => publishCost(DOWN.length, REPLY_BYTES[k] as number, 40);

/** The simulated core: answers each up message through a script; records what went up and down. */
class ScriptedCore implements ProvisionTransport {
  readonly up: UpMsg[] = [];
  readonly downBytes: number[] = [];
  failPublish: Error | undefined;
  private handler: ((b: Uint8Array) => void) | undefined;
  constructor(private readonly script: (m: UpMsg, n: number) => DownMsg[]) {}
  publish(topic: string, bytes: Uint8Array): Promise<void> {
    if (this.failPublish) return Promise.reject(this.failPublish);
    expect(topic).toBe(UP);
    const m = decodeUp(bytes);
    this.up.push(m);
    const replies = this.script(m, this.up.length);
    queueMicrotask(() => { for (const r of replies) this.down(r); });
    return Promise.resolve();
  }
  subscribe(topic: string, fn: (b: Uint8Array) => void): Promise<void> {
    expect(topic).toBe(DOWN);
    this.handler = fn;
    return Promise.resolve();
  }
  down(m: DownMsg): void {
    const b = encodeMsg(m);
    this.downBytes.push(b.length);
    this.handler?.(b);
  }
}

/** A core that answers hello with `rej code` the first `fails` times, then runs the full exchange. */
function flaky(code: string | undefined, fails: number, opts: { silent?: boolean } = {}) {
  let hellos = 0;
  let pid = 0;
  return (m: UpMsg): DownMsg[] => {
    if (m.t === 'hello') {
      hellos++;
      if (hellos <= fails) {
        if (opts.silent) return []; // nothing: the device times out
        return [{ t: 'rej', rid: m.rid, code: code as string, msg: 'test' }];
      }
      return [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 30 }];
    }
    if (m.t === 'prov') {
      const p = `p${++pid}`;
      return [{ t: 'acc', rid: m.rid, pid: p, edge: 'edge-a' }, { t: 'ready', pid: p, edge: 'edge-a', svc: [] }];
    }
    return [];
  };
}

function machine(core: ScriptedCore, clock: FakeClock, over: Partial<ProvisionerOptions> = {}) {
  const retries: RetryInfo[] = [];
  const events: TraceEvent[] = [];
  const p = new Provisioner({
    imsi: IMSI, codec: wireCodec, transport: core, platform: clock, timeoutMs: 1000,
    retry: { baseMs: 1000, maxMs: 8000, attempts: 4 }, onRetry: (r) => retries.push(r), trace: (e) => events.push(e), ...over,
  });
  return { p, retries, events };
}

/** Settle the promise while driving the fake clock forward (bounded: fails rather than hangs). */
async function drive<T>(clock: FakeClock, p: Promise<T>, stepMs = 100, maxMs = 120_000): Promise<T> {
  let done = false;
  const tracked = p.finally(() => { done = true; });
  tracked.catch(() => undefined);
  for (let t = 0; t < maxMs && !done; t += stepMs) await clock.advance(stepMs);
  await flush();
  expect(done, 'settled within the driven time').toBe(true);
  return tracked;
}

describe('Provisioner: retries with jittered exponential backoff', () => {
  for (const why of ['on', 'reset', 'roam'] as const) {
    it(`retries a retryable rej (NO_EDGE) for reason ${why}, with doubling delays, then succeeds`, async () => {
      const clock = new FakeClock();
      const core = new ScriptedCore(flaky('NO_EDGE', 3));
      const { p, retries } = machine(core, clock);
      const r = await drive(clock, p.provision(INFO, why, TPL));
      expect(r.pid).toBe('p1');
      expect(core.up.filter((m) => m.t === 'hello').map((m) => (m as { why: string }).why)).toEqual([why, why, why, why]);
      // Equal jitter with randomBytes 0x80 0x80: delay = floor(step/2 + step/2 × 0x8080/65536).
      expect(retries.map((x) => x.delayMs)).toEqual([750, 1501, 3003]);
      expect(clock.asked).toEqual(expect.arrayContaining([750, 1501, 3003])); // waited on the platform timers
      expect(retries.map((x) => x.attempt)).toEqual([1, 2, 3]);
      expect(retries.every((x) => x.why === why && (x.error as { rejCode?: string }).rejCode === 'NO_EDGE')).toBe(true);
    });
  }

  it('jitter spreads the delay between half and all of the exponential step, capped at maxMs', async () => {
    const lows: number[] = [];
    const highs: number[] = [];
    for (const [byte, out] of [[0x00, lows], [0xff, highs]] as const) {
      const clock = new FakeClock();
      clock.randomByte = byte;
      const core = new ScriptedCore(flaky(undefined, 99, { silent: true }));
      const { p, retries } = machine(core, clock, { timeoutMs: 50, retry: { baseMs: 1000, maxMs: 4000, attempts: 4 } });
      await expect(drive(clock, p.provision(INFO, 'on', TPL), 50)).rejects.toMatchObject({ code: 'TIMEOUT' });
      out.push(...retries.map((x) => x.delayMs));
      expect(core.up).toHaveLength(5); // the first try and 4 retries
    }
    expect(lows).toEqual([500, 1000, 2000, 2000]);
    expect(highs).toEqual([999, 1999, 3999, 3999]);
  });

  it('retries a TIMEOUT and a TRANSPORT failure, and gives up after `attempts` with the last error', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 99, { silent: true }));
    const { p, retries } = machine(core, clock, { retry: { baseMs: 100, attempts: 2 } });
    await expect(drive(clock, p.provision(INFO, 'on', TPL))).rejects.toMatchObject({ code: 'TIMEOUT', detail: 'no chal within 1000 ms' });
    expect(retries).toHaveLength(2);
    core.failPublish = new Error('socket closed');
    const { p: p2, retries: r2 } = machine(core, clock, { retry: { baseMs: 100, attempts: 1 } });
    await expect(drive(clock, p2.provision(INFO, 'on', TPL))).rejects.toMatchObject({ code: 'TRANSPORT' });
    expect(r2).toHaveLength(1);
  });

  for (const code of ['BAD_SIGNATURE', 'UNKNOWN_IMSI', 'TEMPLATE_ROLLBACK', 'POLICY_DENIED']) {
    it(`does not retry a final rej (${code})`, async () => {
      const clock = new FakeClock();
      const core = new ScriptedCore(flaky(code, 1));
      const { p, retries } = machine(core, clock);
      await expect(drive(clock, p.provision(INFO, 'on', TPL))).rejects.toMatchObject({ code: 'REJECTED', rejCode: code });
      expect(retries).toEqual([]);
      expect(core.up).toHaveLength(1);
    });
  }

  it('a prov the modem cannot publish (MESSAGE_TOO_LARGE: the template is too large for it) is final: no retry, one hello', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    const publish = core.publish.bind(core);
    // What a modem-MQTT driver answers for a message over its limit (core/transport/urc-wait.ts payloadError).
    core.publish = (topic, bytes) => (decodeUp(bytes).t === 'prov' ? Promise.reject(new SimedgeError('MESSAGE_TOO_LARGE')) : publish(topic, bytes));
    const { p, retries } = machine(core, clock);
    await expect(drive(clock, p.provision(INFO, 'on', TPL))).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    expect(retries).toEqual([]);
    expect(core.up.map((m) => m.t)).toEqual(['hello']);
  });

  it('classifies errors: isRetryable', () => {
    const rej = (c: string) => Object.assign(new SimedgeError('REJECTED', c), { rejCode: c, rejMsg: '' });
    for (const c of ['NO_EDGE', 'NO_CAPACITY', 'DEPLOY_FAILED', 'TIMEOUT', 'BAD_NONCE', 'NO_ATTACH']) expect(isRetryable(rej(c)), c).toBe(true);
    for (const c of ['BAD_SIGNATURE', 'UNKNOWN_KEY', 'SIM_BINDING', 'QUOTA_EXCEEDED', 'NOT_ATTESTED']) expect(isRetryable(rej(c)), c).toBe(false);
    expect(isRetryable(new SimedgeError('LINK_LOST'))).toBe(true);
    expect(isRetryable(new SimedgeError('BUDGET_EXCEEDED'))).toBe(false);
    expect(isRetryable(new SimedgeError('AT_CLOSED'))).toBe(false);
    expect(isRetryable(new SimedgeError('MESSAGE_TOO_LARGE'))).toBe(false); // the same prov would not fit again
    expect(isRetryable(new TypeError('x'))).toBe(false);
  });

  it('shows `backoff` while waiting; a newer provision (roam) ends the older one\'s retries', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky('NO_EDGE', 1));
    const { p } = machine(core, clock, { retry: { baseMs: 10_000, attempts: 3 } });
    const first = p.provision(INFO, 'on', TPL);
    first.catch(() => undefined);
    await clock.advance(10);
    expect(p.state).toBe('backoff');
    const second = p.provision({ ...INFO, cell: '02C4F301' }, 'roam', TPL);
    await expect(first).rejects.toMatchObject({ rejCode: 'NO_EDGE' });
    await expect(drive(clock, second)).resolves.toMatchObject({ pid: 'p1' });
    expect(core.up.filter((m) => m.t === 'hello').map((m) => (m as { why: string }).why)).toEqual(['on', 'roam']);
    expect(clock.pending).toBe(0);
  });

  it('close() during backoff rejects at once and leaves no timer', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky('DEPLOY_FAILED', 9));
    const { p } = machine(core, clock);
    const run = p.provision(INFO, 'on', TPL);
    await clock.advance(10);
    p.close();
    await expect(run).rejects.toMatchObject({ rejCode: 'DEPLOY_FAILED' });
    expect(clock.pending).toBe(0);
  });

  it('withRetries runs any step through the same loop (the Espruino re-open of a lost link, why link)', async () => {
    const clock = new FakeClock();
    const { p, retries } = machine(new ScriptedCore(flaky(undefined, 0)), clock);
    let calls = 0;
    const reopen = (): Promise<string> => (++calls < 3 ? Promise.reject(new SimedgeError('MODEM_MQTT_CONNECT', 'QMTOPEN result 3')) : Promise.resolve('up'));
    expect(await drive(clock, p.withRetries('link', reopen))).toBe('up');
    expect(retries.map((x) => [x.why, x.attempt, x.delayMs, (x.error as SimedgeError).code])).toEqual([['link', 1, 750, 'MODEM_MQTT_CONNECT'], ['link', 2, 1501, 'MODEM_MQTT_CONNECT']]);
    // Not retried: a failure that is not temporary.
    await expect(p.withRetries('link', () => Promise.reject(new TypeError('bad')))).rejects.toThrow(TypeError);
    expect(retries).toHaveLength(2);
  });
});

describe('Provisioner: data budget', () => {
  it('counts payload + topic + MQTT and TCP/IP overhead both ways, exactly', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    const upBytes = core.up.map((m) => encodeMsg(m).length);
    const expected = subscribeCost(DOWN.length, 40)
      + upBytes.reduce((n, b) => n + publishCost(UP.length, b, 40), 0)
      + core.downBytes.reduce((n, b) => n + publishCost(DOWN.length, b, 40), 0);
    expect(p.budget?.used()).toBe(expected);
    expect(p.budget?.held()).toBe(0); // every reply came: no reservation left
    // PUBLISH of 10 bytes on a 5-byte topic: 1 + 1 + (2 + 5 + 2 + 10) + PUBACK 4 + 2 × 40.
    expect(publishCost(5, 10, 40)).toBe(105);
    expect(publishCost(5, 200, 0)).toBe(1 + 2 + 209 + 4);
    // CONNECT with a 15-digit client id [MQTT-3.1]: 1 + 1 + (10 + 2 + 15) + CONNACK 4 + 2 × 40.
    expect(connectCost(15, 40)).toBe(113);
  });

  it('reserves the largest reply the wire decoder accepts (chal or rej, acc, term; a ready\'s header + 256 B)', () => {
    const rid = '80'.repeat(8); // the client's rid: 8 random bytes in hex
    const id64 = 'x'.repeat(64);
    const largest = {
      chal: [{ t: 'chal', rid, nonce: new Uint8Array(32), ttl: 3600 }, { t: 'rej', rid, code: 'C'.repeat(32), msg: 'm'.repeat(256) }],
      acc: [{ t: 'acc', rid, pid: id64, edge: id64 }],
      term: [{ t: 'term', pid: id64, why: 'w'.repeat(32) }],
    } satisfies Record<string, DownMsg[]>;
    for (const [k, msgs] of Object.entries(largest)) {
      const sizes = msgs.map((m) => encodeMsg(decodeDown(encodeMsg(m))).length); // valid: they decode
      expect(Math.max(...sizes), k).toBe(REPLY_BYTES[k]);
    }
    expect(encodeMsg({ t: 'ready', pid: id64, edge: id64, svc: [] }).length + 256).toBe(REPLY_BYTES.ready);
  });

  it('refuses the message that would exceed the budget with BUDGET_EXCEEDED and never goes over', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    // Enough for subscribe + hello (with room for its reply) + chal, not for the prov with its
    // 200-byte template and the room for acc and ready.
    const { p } = machine(core, clock, { budget: { bytesPerDay: 1200 } });
    const e = await drive(clock, p.provision(INFO, 'on', TPL)).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(core.up.map((m) => m.t)).toEqual(['hello']);
    expect(p.budget?.used()).toBeLessThanOrEqual(1200);
    expect(isRetryable(e)).toBe(false);
  });

  it('admits a hello only if the room for its reply (a chal, or a rej) fits too', async () => {
    const need = subscribeCost(DOWN.length, 40) + publishCost(UP.length, HELLO.length, 40) + reply('chal');
    for (const [limit, sent] of [[need - 1, []], [need, ['hello']]] as const) {
      const clock = new FakeClock();
      const core = new ScriptedCore(() => []); // the core stays silent
      const { p } = machine(core, clock, { budget: { bytesPerDay: limit }, retry: { attempts: 0 } });
      const run = p.provision(INFO, 'on', TPL).catch((x: unknown) => x);
      await clock.advance(10);
      expect(core.up.map((m) => m.t), `limit ${limit}`).toEqual(sent);
      expect(p.budget?.held()).toBe(sent.length ? reply('chal') : 0);
      expect(p.budget?.used()).toBe(sent.length ? need : subscribeCost(DOWN.length, 40));
      await clock.advance(1000);
      expect(await run).toMatchObject({ code: sent.length ? 'TIMEOUT' : 'BUDGET_EXCEEDED' });
    }
  });

  it('when a reply arrives, releases its reservation and counts its actual bytes', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(() => []); // the test answers, one message at a time
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
    const b = p.budget as DataBudget;
    const run = p.provision(INFO, 'on', TPL);
    await clock.advance(10);
    let counted = subscribeCost(DOWN.length, 40) + publishCost(UP.length, HELLO.length, 40);
    expect([b.used(), b.held()]).toEqual([counted + reply('chal'), reply('chal')]);
    const hello = core.up[0] as Extract<UpMsg, { t: 'hello' }>;
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 }); // smaller than its reservation
    await clock.advance(10);
    counted += publishCost(DOWN.length, core.downBytes[0] as number, 40) + publishCost(UP.length, encodeMsg(core.up[1] as UpMsg).length, 40);
    expect([b.used(), b.held()]).toEqual([counted + reply('acc') + reply('ready'), reply('acc') + reply('ready')]);
    core.down({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' });
    await clock.advance(10);
    counted += publishCost(DOWN.length, core.downBytes[1] as number, 40);
    expect([b.used(), b.held()]).toEqual([counted + reply('ready'), reply('ready')]);
    core.down({ t: 'ready', pid: 'p1', edge: 'edge-a', svc: [{ n: 'fn', ep: 'http://10.0.0.7:8080/fn' }] });
    await expect(run).resolves.toMatchObject({ pid: 'p1' });
    counted += publishCost(DOWN.length, core.downBytes[2] as number, 40);
    expect([b.used(), b.held()]).toEqual([counted, 0]);
  });

  it('counts a reply larger than its reservation in full (a ready with more than 256 B of endpoints)', async () => {
    const clock = new FakeClock();
    const svc = Array.from({ length: 6 }, (_, i) => ({ n: `svc${i}`, ep: `http://edge-a.example.net:8080/slices/p1/${i}/${'x'.repeat(40)}` }));
    const core = new ScriptedCore((m) => (m.t === 'prov' ? [{ t: 'acc', rid: m.rid, pid: 'p1', edge: 'edge-a' }, { t: 'ready', pid: 'p1', edge: 'edge-a', svc }] : flaky(undefined, 0)(m)));
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    const readyBytes = core.downBytes[2] as number;
    expect(readyBytes).toBeGreaterThan(REPLY_BYTES.ready as number);
    const exact = subscribeCost(DOWN.length, 40)
      + core.up.reduce((n, m) => n + publishCost(UP.length, encodeMsg(m).length, 40), 0)
      + core.downBytes.reduce((n, x) => n + publishCost(DOWN.length, x, 40), 0);
    expect(p.budget?.used()).toBe(exact);
    expect(p.budget?.held()).toBe(0);
  });

  it('keeps the reservation of a reply that never came (until a late reply settles it)', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(() => []);
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 }, retry: { attempts: 0 } });
    const e = await drive(clock, p.provision(INFO, 'on', TPL)).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
    const sent = subscribeCost(DOWN.length, 40) + publishCost(UP.length, HELLO.length, 40);
    const b = p.budget as DataBudget;
    expect([b.used(), b.held()]).toEqual([sent + reply('chal'), reply('chal')]);
    expect(b.snapshot().used).toBe(sent + reply('chal')); // a reboot keeps it counted
    core.down({ t: 'chal', rid: (core.up[0] as UpMsg).rid, nonce: NONCE, ttl: 30 }); // late: the client ignores it
    await flush();
    expect([b.used(), b.held()]).toEqual([sent + publishCost(DOWN.length, core.downBytes[0] as number, 40), 0]);
  });

  it('a rej of a roam\'s prov releases the room for the term too (nothing was replaced)', async () => {
    const clock = new FakeClock();
    let provs = 0;
    const core = new ScriptedCore((m) => {
      if (m.t === 'hello') return [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 30 }];
      if (m.t !== 'prov') return [];
      if (++provs > 1) return [{ t: 'rej', rid: m.rid, code: 'POLICY_DENIED', msg: 'not here' }];
      return [{ t: 'acc', rid: m.rid, pid: 'p1', edge: 'e' }, { t: 'ready', pid: 'p1', edge: 'e', svc: [] }];
    });
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    await expect(drive(clock, p.provision({ ...INFO, cell: '01B3E201' }, 'roam', TPL))).rejects.toMatchObject({ rejCode: 'POLICY_DENIED' });
    expect(p.active()).toEqual(['p1']);
    expect(p.budget?.held()).toBe(0);
  });

  it('a rej releases what its request reserved: the chal of a hello, the acc and ready of a prov', async () => {
    for (const at of ['hello', 'prov'] as const) {
      const clock = new FakeClock();
      const core = new ScriptedCore((m) => (m.t === at ? [{ t: 'rej', rid: m.rid, code: 'POLICY_DENIED', msg: 'not here' }] : flaky(undefined, 0)(m)));
      const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
      await expect(drive(clock, p.provision(INFO, 'on', TPL))).rejects.toMatchObject({ rejCode: 'POLICY_DENIED' });
      expect(p.budget?.held(), at).toBe(0);
      expect(p.budget?.used(), at).toBe(subscribeCost(DOWN.length, 40)
        + core.up.reduce((n, m) => n + publishCost(UP.length, encodeMsg(m).length, 40), 0)
        + core.downBytes.reduce((n, x) => n + publishCost(DOWN.length, x, 40), 0));
    }
  });

  it('a bye reserves one term per live provision', async () => {
    const clock = new FakeClock();
    let pid = 0;
    // Two live provisions: the core does not terminate the old one after the roam.
    const core = new ScriptedCore((m) => {
      if (m.t === 'prov') { const x = `p${++pid}`; return [{ t: 'acc', rid: m.rid, pid: x, edge: 'e' }, { t: 'ready', pid: x, edge: 'e', svc: [] }]; }
      return m.t === 'hello' ? [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 30 }] : [];
    });
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    await drive(clock, p.provision({ ...INFO, cell: '01B3E201' }, 'roam', TPL));
    // The roam's prov kept room for p1's term, which this core never sends: it stays held.
    expect(p.budget?.held()).toBe(reply('term'));
    const off = p.switchOff();
    await clock.advance(10);
    expect(p.budget?.held()).toBe(3 * reply('term'));
    core.down({ t: 'term', pid: 'p1', why: 'bye' });
    expect(p.budget?.held()).toBe(2 * reply('term'));
    core.down({ t: 'term', pid: 'p2', why: 'bye' });
    await expect(off).resolves.toMatchObject({ unacked: [] });
    expect(p.budget?.held()).toBe(reply('term'));
  });

  it('[DESIGN roaming] a roam\'s prov keeps room for the term of the provision it replaces; that term settles it', async () => {
    const clock = new FakeClock();
    let pid = 0;
    const core = new ScriptedCore((m) => {
      if (m.t !== 'prov') return m.t === 'hello' ? [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 30 }] : [];
      const x = `p${++pid}`;
      const out: DownMsg[] = [{ t: 'acc', rid: m.rid, pid: x, edge: 'e' }, { t: 'ready', pid: x, edge: 'e', svc: [] }];
      return pid > 1 ? [...out, { t: 'term', pid: `p${pid - 1}`, why: 'roam' }] : out; // make-before-break
    });
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    const b = p.budget as DataBudget;
    const before = b.used();
    const roam = p.provision({ ...INFO, cell: '01B3E201' }, 'roam', TPL);
    await clock.advance(10); // the hello is out, its chal came, the prov went out
    expect(core.up.map((m) => m.t)).toEqual(['hello', 'prov', 'hello', 'prov']);
    await drive(clock, roam);
    await flush();
    // Everything answered, p1's term included: nothing held, and exactly the bytes on the air.
    expect(p.active()).toEqual(['p2']);
    expect(b.held()).toBe(0);
    expect(b.used() - before).toBe(core.up.slice(2).reduce((n, m) => n + publishCost(UP.length, encodeMsg(m).length, 40), 0)
      + core.downBytes.slice(3).reduce((n, x) => n + publishCost(DOWN.length, x, 40), 0));
  });

  it('a roam\'s prov reserves its acc and ready and a term per live provision before it goes out', async () => {
    const clock = new FakeClock();
    let provs = 0;
    // The core answers the first prov; the roam's prov gets no answer, so its reservation shows.
    const core = new ScriptedCore((m) => {
      if (m.t === 'hello') return [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 30 }];
      if (m.t !== 'prov' || ++provs > 1) return [];
      return [{ t: 'acc', rid: m.rid, pid: 'p1', edge: 'e' }, { t: 'ready', pid: 'p1', edge: 'e', svc: [] }];
    });
    const { p } = machine(core, clock, { budget: { bytesPerDay: 100_000 }, retry: { attempts: 0 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    expect(p.budget?.held()).toBe(0);
    const roam = p.provision({ ...INFO, cell: '01B3E201' }, 'roam', TPL);
    roam.catch(() => undefined);
    await clock.advance(10);
    expect(core.up.map((m) => m.t)).toEqual(['hello', 'prov', 'hello', 'prov']);
    expect(p.budget?.held()).toBe(reply('acc') + reply('ready') + reply('term'));
  });

  it('keeps reserveBytes back for what arrives unasked', () => {
    const clock = new FakeClock();
    const b = new DataBudget(clock, { bytesPerDay: 1000, reserveBytes: 300 });
    expect(b.take(700)).toBe(true);
    expect(b.take(1)).toBe(false);
    b.add(250); // a message arrives: counted, never refused
    expect(b.used()).toBe(950);
    expect(b.remaining()).toBe(0);
  });

  it('take(n, r) counts n and reserves r only if both fit; add(n, r) counts n and releases r', () => {
    const clock = new FakeClock();
    const b = new DataBudget(clock, { bytesPerDay: 1000 });
    expect(b.take(300, 701)).toBe(false);
    expect(b.used()).toBe(0);
    expect(b.take(300, 700)).toBe(true);
    expect([b.used(), b.held(), b.remaining()]).toEqual([1000, 700, 0]);
    b.add(650, 700); // the reply: smaller than its reservation
    expect([b.used(), b.held(), b.remaining()]).toEqual([950, 0, 50]);
    b.add(10, 500); // nothing more is held: the release stops at 0
    expect([b.used(), b.held()]).toEqual([960, 0]);
  });

  it('charges keep-alive pings while the link is up, lazily, and cannot refuse them [MQTT-3.1.2.10]', async () => {
    const clock = new FakeClock(); // 12:00 UTC
    const b = new DataBudget(clock, { bytesPerDay: 1000 });
    const ping = 2 + 2 + 2 * 40; // PINGREQ + PINGRESP [MQTT-3.12, 3.13], one packet each
    b.linked(60);
    await clock.advance(10 * 60_000 + 59_999); // not consulted meanwhile
    expect(b.used()).toBe(10 * ping);
    await clock.advance(1);
    expect(b.used()).toBe(11 * ping); // the 11th ping is due now
    await clock.advance(2 * 60_000);
    expect(b.used()).toBe(13 * ping); // 1092 B: over the day's 1000, counted all the same
    expect(b.take(1)).toBe(false);
    b.linked(0); // link closed: no more pings
    await clock.advance(3_600_000);
    expect(b.used()).toBe(13 * ping);
  });

  it('keep-alive pings before midnight are yesterday\'s', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 23, 50, 0));
    const b = new DataBudget(clock, { bytesPerDay: 100_000 });
    b.linked(60);
    await clock.advance(20 * 60_000); // 00:10, consulted for the first time
    expect(b.used()).toBe(10 * 84);
    expect(b.snapshot().day).toBe(Math.floor(clock.now() / DAY_MS));
  });

  it('starts a fresh budget on the next UTC day, and a snapshot survives a reboot the same day', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 23, 59, 0));
    const b = new DataBudget(clock, { bytesPerDay: 1000 });
    expect(b.take(800, 100)).toBe(true);
    const saved = b.snapshot();
    expect(saved).toEqual({ day: Math.floor(clock.now() / DAY_MS), used: 900 }); // the reservation too
    const rebooted = new DataBudget(clock, { bytesPerDay: 1000, state: saved });
    expect(rebooted.take(200)).toBe(false);
    await clock.advance(60_000); // midnight UTC
    expect(rebooted.used()).toBe(0);
    expect([b.used(), b.held()]).toEqual([0, 0]);
    expect(rebooted.take(200)).toBe(true);
    expect(new DataBudget(clock, { bytesPerDay: 1000, state: saved }).used()).toBe(0); // yesterday's count
  });

  it('rejects a nonsensical budget with TypeError / RangeError', () => {
    const clock = new FakeClock();
    expect(() => new DataBudget(clock, { bytesPerDay: 0 })).toThrow(TypeError);
    expect(() => new DataBudget(clock, { bytesPerDay: 1.5 })).toThrow(TypeError);
    expect(() => new DataBudget(clock, { bytesPerDay: 100, reserveBytes: 100 })).toThrow(RangeError);
  });
});

/** A modem-MQTT driver that records its calls; lose() is the modem's link-loss URC. */
class FakeDriver implements MqttDriver {
  readonly calls: string[] = [];
  failOpen = false;
  private ev: DriverEvents | undefined;
  start(ev: DriverEvents): void { this.ev = ev; }
  open(host: string, port: number, id: string): Promise<void> {
    this.calls.push(`open ${id}`);
    return this.failOpen ? Promise.reject(new SimedgeError('MODEM_MQTT_CONNECT')) : Promise.resolve();
  }
  publish(topic: string): Promise<void> { this.calls.push(`pub ${topic}`); return Promise.resolve(); }
  subscribe(topic: string): Promise<void> { this.calls.push(`sub ${topic}`); return Promise.resolve(); }
  disconnect(): Promise<void> { this.calls.push('disc'); return Promise.resolve(); }
  stop(): void { this.ev = undefined; }
  lose(): void { this.ev?.lost('test'); }
}

describe('data budget of the MQTT link (budgetDriver)', () => {
  const ping = 84;
  const connect = connectCost(IMSI.length, 40);
  const sub = subscribeCost(DOWN.length, 40);

  function link(bytesPerDay: number) {
    const clock = new FakeClock();
    const b = new DataBudget(clock, { bytesPerDay });
    const d = new FakeDriver();
    // Reconnects after 5-10 minutes (equal jitter; the FakeClock's random byte makes it about 7.5).
    const session = new MqttSession(budgetDriver(d, b, 60), clock, { backoff: { baseMs: 600_000, maxMs: 600_000, attempts: 2 } });
    return { clock, b, d, session };
  }

  it('takes CONNECT + CONNACK when the link opens, and refuses them when they do not fit', async () => {
    const ok = link(10_000);
    await ok.session.connect('broker', 1883, IMSI);
    expect(ok.b.used()).toBe(connect);
    const no = link(connect - 1);
    await expect(no.session.connect('broker', 1883, IMSI)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(no.d.calls).toEqual([]); // nothing reached the modem
    expect(no.b.used()).toBe(0);
  });

  it('charges keep-alive while the link is up, stops at a loss, and a reconnect pays CONNECT and the re-subscription', async () => {
    const { clock, b, d, session } = link(100_000);
    await session.connect('broker', 1883, IMSI);
    const io = metered({ codec: wireCodec, transport: session }, b, () => 0);
    await io.transport.subscribe(DOWN, () => undefined); // metered: the first subscription
    expect(b.used()).toBe(connect + sub);
    await clock.advance(5 * 60_000);
    expect(b.used()).toBe(connect + sub + 5 * ping);
    d.lose(); // the modem lost the link: its pings stop
    await clock.advance(300_000);
    expect(b.used()).toBe(connect + sub + 5 * ping);
    expect(d.calls.filter((c) => c.startsWith('open'))).toHaveLength(1);
    await clock.advance(160_000); // the session reconnected at 450.6 s and re-subscribed
    expect(d.calls.filter((c) => c.startsWith('open') || c.startsWith('sub'))).toEqual([`open ${IMSI}`, `sub ${DOWN}`, `open ${IMSI}`, `sub ${DOWN}`]);
    expect(b.used()).toBe(2 * connect + 2 * sub + 5 * ping);
    await clock.advance(60_000);
    expect(b.used()).toBe(2 * connect + 2 * sub + 6 * ping);
    await session.close(); // DISCONNECT [MQTT-3.14], one packet; then no pings
    await clock.advance(3_600_000);
    expect(b.used()).toBe(2 * connect + 2 * sub + 6 * ping + 2 + 40);
  });

  it('a failed open keeps its CONNECT counted (it may have gone out) but starts no pings', async () => {
    const { clock, b, d, session } = link(100_000);
    d.failOpen = true;
    await expect(session.connect('broker', 1883, IMSI)).rejects.toMatchObject({ code: 'MODEM_MQTT_CONNECT' });
    await clock.advance(10 * 60_000);
    expect(b.used()).toBe(connect);
  });
});

describe('Provisioner: graceful switch-off [FIG. 2 208-210]', () => {
  it('bye → term for every live provision: nothing unacknowledged', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore((m, n) => (m.t === 'bye' ? [{ t: 'term', pid: 'p1', why: 'bye' }] : flaky(undefined, 0)(m)));
    const { p } = machine(core, clock);
    await drive(clock, p.provision(INFO, 'on', TPL));
    await expect(drive(clock, p.switchOff())).resolves.toEqual({ terms: [{ t: 'term', pid: 'p1', why: 'bye' }], unacked: [] });
    expect(core.up.at(-1)).toMatchObject({ t: 'bye', why: 'off' });
  });

  it('waits byeTimeoutMs, then reports the pids without a term (and never rejects)', async () => {
    const clock = new FakeClock();
    let pid = 0;
    const core = new ScriptedCore((m) => {
      if (m.t === 'hello') return [{ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 30 }];
      if (m.t === 'prov') { const x = `p${++pid}`; return [{ t: 'acc', rid: m.rid, pid: x, edge: 'e' }, { t: 'ready', pid: x, edge: 'e', svc: [] }]; }
      return [{ t: 'term', pid: 'p2', why: 'bye' }]; // p1 is never acknowledged
    });
    const { p, events } = machine(core, clock, { byeTimeoutMs: 5000 });
    await drive(clock, p.provision(INFO, 'on', TPL));
    await drive(clock, p.provision({ ...INFO, cell: '01B3E201' }, 'roam', TPL));
    const off = p.switchOff('leave');
    await clock.advance(4999);
    let settled = false;
    void off.then(() => { settled = true; });
    await flush();
    expect(settled).toBe(false);
    await clock.advance(1);
    const r = await off;
    expect(r.terms).toEqual([{ t: 'term', pid: 'p2', why: 'bye' }]);
    expect(r.unacked).toEqual(['p1']);
    expect(r.error).toMatchObject({ code: 'TIMEOUT' });
    expect(events.find((e) => e.ev === 'bye-unacked')?.detail).toMatch(/^pids=p1 /);
    expect(core.up.filter((m) => m.t === 'bye')).toHaveLength(1); // a TIMEOUT is not a lost link: no resend
    expect(clock.pending).toBe(0);
  });

  it('[issue: link loss] a bye the link failed under is sent once more after BYE_RESEND_MS, and then gets its term', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore((m) => (m.t === 'bye' ? [{ t: 'term', pid: 'p1', why: 'bye' }] : flaky(undefined, 0)(m)));
    const { p, events } = machine(core, clock);
    await drive(clock, p.provision(INFO, 'on', TPL));
    // The modem's link went down under the publish (its link-loss URC comes just after).
    core.failPublish = new SimedgeError('MODEM_MQTT_PUBLISH');
    const off = p.switchOff();
    await clock.advance(BYE_RESEND_MS - 1);
    expect(p.state).toBe('backoff');
    core.failPublish = undefined; // the session has re-opened the link by the time of the resend
    expect(core.up.filter((m) => m.t === 'bye')).toHaveLength(0);
    await clock.advance(1);
    await expect(off).resolves.toEqual({ terms: [{ t: 'term', pid: 'p1', why: 'bye' }], unacked: [] });
    expect(core.up.filter((m) => m.t === 'bye')).toHaveLength(1);
    expect(events.find((e) => e.ev === 'bye-resend')?.detail).toBe('after MODEM_MQTT_PUBLISH');
    expect(clock.pending).toBe(0);
  });

  it('sends a failed bye only once more: a second failure is reported with every pid unacknowledged', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    const { p, events } = machine(core, clock);
    await drive(clock, p.provision(INFO, 'on', TPL));
    core.failPublish = new SimedgeError('LINK_LOST');
    const r = await drive(clock, p.switchOff());
    expect(r).toMatchObject({ terms: [], unacked: ['p1'], error: { code: 'LINK_LOST' } });
    expect(events.filter((e) => e.ev === 'bye-resend')).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('close() during the pause before the resend ends the switch-off at once', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    const { p } = machine(core, clock);
    await drive(clock, p.provision(INFO, 'on', TPL));
    core.failPublish = new SimedgeError('TRANSPORT');
    const off = p.switchOff();
    await clock.advance(10);
    p.close();
    await expect(off).resolves.toMatchObject({ unacked: ['p1'], error: { code: 'TRANSPORT' } });
    expect(clock.pending).toBe(0);
  });

  it('a bye that cannot be sent (budget spent) reports every pid unacknowledged', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    const { p } = machine(core, clock, { budget: { bytesPerDay: 5000 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    p.budget?.add(5000); // the rest of the day's bytes went elsewhere
    const r = await drive(clock, p.switchOff());
    expect(r).toMatchObject({ terms: [], unacked: ['p1'], error: { code: 'BUDGET_EXCEEDED' } });
    expect(core.up.map((m) => m.t)).toEqual(['hello', 'prov']);
  });

  it('switch-off stops pending retries and resolves at once when nothing is live', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky('NO_EDGE', 9));
    const { p } = machine(core, clock);
    const run = p.provision(INFO, 'on', TPL);
    await clock.advance(10);
    await expect(p.switchOff()).resolves.toEqual({ terms: [], unacked: [] });
    await expect(run).rejects.toMatchObject({ rejCode: 'NO_EDGE' });
    expect(clock.pending).toBe(0);
    expect(core.up.map((m) => m.t)).toEqual(['hello']);
  });
});
