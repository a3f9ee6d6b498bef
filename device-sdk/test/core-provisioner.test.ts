// The provisioning state machine on a FakeClock: retries with jittered exponential backoff per
// reason (which failures are retried and which are final), the data budget (never exceeded,
// refused with BUDGET_EXCEEDED, counted both ways, a new UTC day resets it, survives a reboot via
// snapshot), and the graceful switch-off (bye, deadline, unacknowledged pids reported). The core is
// simulated by the test through an in-memory transport: the real core is exercised in test/e2e and
// in node-device-modem.test.ts.
import { describe, expect, it } from 'vitest';
import { DataBudget, DAY_MS, publishCost, subscribeCost } from '../src/core/budget.js';
import { isRetryable, Provisioner, type ProvisionerOptions, type RetryInfo } from '../src/core/provisioner.js';
import type { ProvisionTransport } from '../src/core/provision.js';
import { wireCodec } from '../src/adapter/node/transport.js';
import { SimedgeError } from '../src/wire/codes.js';
import { decodeUp, encodeMsg, type DownMsg, type UpMsg } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import type { TraceEvent } from '../src/wire/trace.js';
import { FakeClock, flush } from './core-fake-clock.js';

const IMSI = '240011234000001';
const INFO = { imsi: IMSI, iccid: '89460112340000010', plmn: '24001', cell: '01A2D101' };
const TPL = new Uint8Array(200).fill(0xd2);
const NONCE = new Uint8Array(16).fill(7);
const UP = topics.deviceUp(IMSI);
const DOWN = topics.deviceDown(IMSI);

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

  it('classifies errors: isRetryable', () => {
    const rej = (c: string) => Object.assign(new SimedgeError('REJECTED', c), { rejCode: c, rejMsg: '' });
    for (const c of ['NO_EDGE', 'NO_CAPACITY', 'DEPLOY_FAILED', 'TIMEOUT', 'BAD_NONCE', 'NO_ATTACH']) expect(isRetryable(rej(c)), c).toBe(true);
    for (const c of ['BAD_SIGNATURE', 'UNKNOWN_KEY', 'SIM_BINDING', 'QUOTA_EXCEEDED', 'NOT_ATTESTED']) expect(isRetryable(rej(c)), c).toBe(false);
    expect(isRetryable(new SimedgeError('LINK_LOST'))).toBe(true);
    expect(isRetryable(new SimedgeError('BUDGET_EXCEEDED'))).toBe(false);
    expect(isRetryable(new SimedgeError('AT_CLOSED'))).toBe(false);
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
    // PUBLISH of 10 bytes on a 5-byte topic: 1 + 1 + (2 + 5 + 2 + 10) + PUBACK 4 + 2 × 40.
    expect(publishCost(5, 10, 40)).toBe(105);
    expect(publishCost(5, 200, 0)).toBe(1 + 2 + 209 + 4);
  });

  it('refuses the message that would exceed the budget with BUDGET_EXCEEDED and never goes over', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    // Enough for subscribe + hello + chal, not for the prov with its 200-byte template.
    const { p } = machine(core, clock, { budget: { bytesPerDay: 600 } });
    const e = await drive(clock, p.provision(INFO, 'on', TPL)).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(core.up.map((m) => m.t)).toEqual(['hello']);
    expect(p.budget?.used()).toBeLessThanOrEqual(600);
    expect(isRetryable(e)).toBe(false);
  });

  it('keeps reserveBytes back for the replies', () => {
    const clock = new FakeClock();
    const b = new DataBudget(clock, { bytesPerDay: 1000, reserveBytes: 300 });
    expect(b.take(700)).toBe(true);
    expect(b.take(1)).toBe(false);
    b.add(250); // a reply arrives: counted, never refused
    expect(b.used()).toBe(950);
    expect(b.remaining()).toBe(0);
  });

  it('starts a fresh budget on the next UTC day, and a snapshot survives a reboot the same day', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 23, 59, 0));
    const b = new DataBudget(clock, { bytesPerDay: 1000 });
    expect(b.take(900)).toBe(true);
    const saved = b.snapshot();
    expect(saved).toEqual({ day: Math.floor(clock.now() / DAY_MS), used: 900 });
    const rebooted = new DataBudget(clock, { bytesPerDay: 1000, state: saved });
    expect(rebooted.take(200)).toBe(false);
    await clock.advance(60_000); // midnight UTC
    expect(rebooted.used()).toBe(0);
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
    expect(clock.pending).toBe(0);
  });

  it('a bye that cannot be sent (budget spent) reports every pid unacknowledged', async () => {
    const clock = new FakeClock();
    const core = new ScriptedCore(flaky(undefined, 0));
    const { p } = machine(core, clock, { budget: { bytesPerDay: 1200 } });
    await drive(clock, p.provision(INFO, 'on', TPL));
    p.budget?.add(1200); // the rest of the day's bytes went elsewhere
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
