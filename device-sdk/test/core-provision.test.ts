// The provisioning client state machine over an in-memory transport. The core validator is
// simulated here by the test (it reads what the device publishes and answers by hand) because the
// real core is tested end to end elsewhere (test/e2e); this file checks the device's side of the
// protocol: ordering, rejections, timeouts, duplicates, foreign rids and unprompted terms.
import { describe, expect, it } from 'vitest';
import { ProvisionClient, isRejected, type ProvisionOptions, type ProvisionTransport } from '../src/core/provision.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { wireCodec } from '../src/adapter/node/transport.js';
import { decodeUp, encodeMsg, type DevReady, type DownMsg, type Term, type UpMsg } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import type { TraceEvent } from '../src/wire/trace.js';

const IMSI = '240011234000001';
const INFO = { imsi: IMSI, iccid: '89460112340000010', plmn: '24001', cell: '01A2D101' };
const TPL = new Uint8Array([0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27]);
const NONCE = new Uint8Array(16).fill(7);

/** The simulated core: an in-memory transport that records every up message. */
class FakeCore implements ProvisionTransport {
  readonly up: UpMsg[] = [];
  readonly subscribed: string[] = [];
  failPublish = false;
  private handler: ((b: Uint8Array) => void) | undefined;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  publish(topic: string, bytes: Uint8Array): Promise<void> {
    if (this.failPublish) return Promise.reject(new Error('link down'));
    expect(topic).toBe(topics.deviceUp(IMSI));
    this.up.push(decodeUp(bytes)); // the device must only send valid messages
    for (const w of this.waiters.filter((x) => this.up.length >= x.n)) w.resolve();
    return Promise.resolve();
  }
  subscribe(topic: string, onMessage: (b: Uint8Array) => void): Promise<void> {
    this.subscribed.push(topic);
    this.handler = onMessage;
    return Promise.resolve();
  }
  /** Resolves with the n-th up message (1-based) once it was published. */
  async nth(n: number): Promise<UpMsg> {
    if (this.up.length < n) await new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
    return this.up[n - 1] as UpMsg;
  }
  down(m: DownMsg): void {
    (this.handler as (b: Uint8Array) => void)(encodeMsg(m));
  }
  raw(b: Uint8Array): void {
    (this.handler as (b: Uint8Array) => void)(b);
  }
}

function client(over: Partial<ProvisionOptions> = {}) {
  const core = new FakeCore();
  const terms: Term[] = [];
  const events: TraceEvent[] = [];
  const c = new ProvisionClient({
    imsi: IMSI, codec: wireCodec, transport: core, platform: nodePlatform, timeoutMs: 1000,
    trace: (e) => events.push(e), onTerm: (t) => terms.push(t), ...over,
  });
  return { c, core, terms, events };
}

const ready = (pid: string, edge = 'edge-a'): DevReady => ({ t: 'ready', pid, edge, svc: [{ n: 'fn', ep: `http://127.0.0.1:1/${pid}` }] });

/** Drive one provisioning through chal/acc/ready; returns the rid used. */
async function happy(core: FakeCore, nHello: number, pid: string, edge = 'edge-a'): Promise<string> {
  const hello = await core.nth(nHello);
  if (hello.t !== 'hello') throw new Error(`expected hello, got ${hello.t}`);
  core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
  await core.nth(nHello + 1);
  core.down({ t: 'acc', rid: hello.rid, pid, edge });
  core.down(ready(pid, edge));
  return hello.rid;
}

describe('ProvisionClient [FIG. 2 203-210]', () => {
  it('hello → chal → prov → acc → ready, with the state after each step', async () => {
    const { c, core, events } = client();
    expect(c.state).toBe('idle');
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    expect(core.subscribed).toEqual([topics.deviceDown(IMSI)]);
    expect(hello).toMatchObject({ t: 'hello', imsi: IMSI, iccid: INFO.iccid, plmn: '24001', cell: '01A2D101', why: 'on' });
    expect(hello.rid).toMatch(/^[0-9a-f]{16}$/);
    expect(c.state).toBe('hello-sent');
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    const prov = await core.nth(2);
    expect(prov).toEqual({ t: 'prov', rid: hello.rid, imsi: IMSI, nonce: NONCE, tpl: TPL });
    expect(c.state).toBe('prov-sent');
    core.down({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' });
    expect(c.state).toBe('accepted');
    core.down(ready('p1'));
    await expect(p).resolves.toEqual(ready('p1'));
    expect(c.state).toBe('ready');
    expect(c.active()).toEqual(['p1']);
    expect(events.map((e) => `${e.step}:${e.ev}`)).toEqual(['203:hello', '203:chal', '203:prov', '204:acc', '207:ready']);
    expect(events.every((e) => e.actor === `device:${IMSI}` && e.imsi === IMSI)).toBe(true);
  });

  it('adds the SIM proof from prove() to prov', async () => {
    const proof = new Uint8Array(64).fill(9);
    const { c, core } = client({ prove: (n, t) => Promise.resolve(n === NONCE || n.length === 16 ? (t === TPL ? proof : undefined) : undefined) });
    void c.provision(INFO, 'on', TPL).catch(() => undefined);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    expect(await core.nth(2)).toMatchObject({ t: 'prov', proof });
    c.close();
  });

  it('fails the request at once, not by its deadline, when prove() throws instead of rejecting', async () => {
    const { c, core } = client({ timeoutMs: 60_000, prove: () => { throw new Error('no SIM'); } });
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    await expect(p).rejects.toMatchObject({ code: 'TRANSPORT', detail: 'no SIM' });
    expect(core.up.map((m) => m.t)).toEqual(['hello']);
  });

  it('rejects with REJECTED carrying the core code when rej answers hello', async () => {
    const { c, core, events } = client();
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'rej', rid: hello.rid, code: 'UNKNOWN_IMSI', msg: 'not a subscriber' });
    const e = await p.catch((x: unknown) => x);
    expect(isRejected(e)).toBe(true);
    expect(e).toMatchObject({ code: 'REJECTED', detail: 'UNKNOWN_IMSI', rejCode: 'UNKNOWN_IMSI', rejMsg: 'not a subscriber' });
    expect(c.state).toBe('rejected');
    expect(events.at(-1)).toMatchObject({ step: 204, ev: 'rej' });
  });

  it('rejects with REJECTED when rej answers prov (bad signature)', async () => {
    const { c, core } = client();
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    await core.nth(2);
    core.down({ t: 'rej', rid: hello.rid, code: 'BAD_SIGNATURE', msg: 'manufacturer signature does not verify' });
    await expect(p).rejects.toMatchObject({ code: 'REJECTED', rejCode: 'BAD_SIGNATURE' });
  });

  it('times out with TIMEOUT when no chal comes, and ignores a late chal', async () => {
    const { c, core } = client({ timeoutMs: 40 });
    const p = c.provision(INFO, 'on', TPL);
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT', detail: 'no chal within 40 ms' });
    core.down({ t: 'chal', rid: (core.up[0] as UpMsg).rid, nonce: NONCE, ttl: 30 });
    expect(core.up).toHaveLength(1);
  });

  it('times out waiting for ready after acc, yet keeps the pid for bye', async () => {
    const { c, core } = client({ readyTimeoutMs: 40 });
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    await core.nth(2);
    core.down({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' });
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT', detail: 'no ready within 40 ms' });
    expect(c.active()).toEqual(['p1']);
  });

  it('is idempotent: duplicate chal, acc, ready and term change nothing', async () => {
    const { c, core, terms } = client();
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    const chal: DownMsg = { t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 };
    core.down(chal);
    core.down(chal);
    await core.nth(2);
    const acc: DownMsg = { t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' };
    core.down(acc);
    core.down(acc);
    core.down(ready('p1'));
    core.down({ ...ready('p1'), edge: 'edge-z' });
    await expect(p).resolves.toMatchObject({ pid: 'p1', edge: 'edge-a' });
    expect(core.up.map((m) => m.t)).toEqual(['hello', 'prov']);
    const bye = c.bye();
    core.down({ t: 'term', pid: 'p1', why: 'bye' });
    core.down({ t: 'term', pid: 'p1', why: 'bye' });
    await expect(bye).resolves.toEqual([{ t: 'term', pid: 'p1', why: 'bye' }]);
    expect(terms).toHaveLength(1);
  });

  it('ignores messages for other rids and undecodable bytes', async () => {
    const { c, core, events } = client();
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: 'someone-else', nonce: NONCE, ttl: 30 });
    core.down({ t: 'rej', rid: 'someone-else', code: 'NO_EDGE', msg: 'x' });
    core.raw(new Uint8Array([0xff, 0x00, 0x13]));
    core.raw(encodeMsg({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' }).subarray(0, 5));
    expect(core.up).toHaveLength(1);
    expect(c.state).toBe('hello-sent');
    expect(events.filter((e) => e.ev === 'bad-down')).toHaveLength(2);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    await core.nth(2);
    core.down({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' });
    core.down(ready('p1'));
    await expect(p).resolves.toMatchObject({ pid: 'p1' });
  });

  it('accepts a ready that overtakes its acc', async () => {
    const { c, core } = client();
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    await core.nth(2);
    core.down(ready('p1'));
    core.down({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' });
    await expect(p).resolves.toMatchObject({ pid: 'p1' });
  });

  it('roaming: a second provision, then an unprompted term for the old pid (make-before-break)', async () => {
    const { c, core, terms, events } = client();
    const first = c.provision(INFO, 'on', TPL);
    await happy(core, 1, 'p1');
    await first;
    const second = c.provision({ ...INFO, plmn: '24405', cell: '02C4F301' }, 'roam', TPL);
    expect(await core.nth(3)).toMatchObject({ t: 'hello', why: 'roam', cell: '02C4F301', plmn: '24405' });
    await happy(core, 3, 'p2', 'edge-b');
    await expect(second).resolves.toMatchObject({ pid: 'p2', edge: 'edge-b' });
    expect(c.active().sort()).toEqual(['p1', 'p2']);
    core.down({ t: 'term', pid: 'p1', why: 'roamed' });
    expect(terms).toEqual([{ t: 'term', pid: 'p1', why: 'roamed' }]);
    expect(c.active()).toEqual(['p2']);
    expect(c.state).toBe('ready');
    expect(events.filter((e) => e.step === 210)).toHaveLength(1);
    // bye now waits only for the live provision
    const bye = c.bye();
    expect(await core.nth(5)).toMatchObject({ t: 'bye', imsi: IMSI, why: 'off' });
    expect(c.state).toBe('bye-sent');
    core.down({ t: 'term', pid: 'p2', why: 'bye' });
    await expect(bye).resolves.toEqual([{ t: 'term', pid: 'p2', why: 'bye' }]);
    expect(c.state).toBe('terminated');
  });

  it('bye resolves only when every live provision is terminated', async () => {
    const { c, core } = client();
    const a = c.provision(INFO, 'on', TPL);
    await happy(core, 1, 'p1');
    await a;
    const b = c.provision({ ...INFO, cell: '01B3E201' }, 'roam', TPL);
    await happy(core, 3, 'p2', 'edge-b');
    await b;
    let done = false;
    const bye = c.bye().then((t) => { done = true; return t; });
    await core.nth(5);
    core.down({ t: 'term', pid: 'p2', why: 'bye' });
    await Promise.resolve();
    expect(done).toBe(false);
    core.down({ t: 'term', pid: 'p1', why: 'bye' });
    expect((await bye).map((t) => t.pid)).toEqual(['p2', 'p1']);
  });

  it('bye with nothing live resolves [] and sends nothing', async () => {
    const { c, core } = client();
    await expect(c.bye()).resolves.toEqual([]);
    expect(core.up).toHaveLength(0);
  });

  it('bye times out with TIMEOUT naming the pid that got no term', async () => {
    const { c, core } = client({ timeoutMs: 200 });
    const a = c.provision(INFO, 'on', TPL);
    await happy(core, 1, 'p9');
    await a;
    await expect(c.bye()).rejects.toMatchObject({ code: 'TIMEOUT', detail: 'no term for p9' });
  });

  it('a term before ready fails the provision with REJECTED (edge failed after acc)', async () => {
    const { c, core, terms } = client();
    const p = c.provision(INFO, 'on', TPL);
    const hello = await core.nth(1);
    core.down({ t: 'chal', rid: hello.rid, nonce: NONCE, ttl: 30 });
    await core.nth(2);
    core.down({ t: 'acc', rid: hello.rid, pid: 'p1', edge: 'edge-a' });
    core.down({ t: 'term', pid: 'p1', why: 'DEPLOY_FAILED' });
    await expect(p).rejects.toMatchObject({ code: 'REJECTED', rejCode: 'DEPLOY_FAILED' });
    expect(terms).toHaveLength(1);
    expect(c.active()).toEqual([]);
  });

  it('a failing publish fails the provision with TRANSPORT', async () => {
    const { c, core } = client();
    core.failPublish = true;
    await expect(c.provision(INFO, 'on', TPL)).rejects.toMatchObject({ code: 'TRANSPORT', detail: 'link down' });
  });

  it('uses platform.randomBytes for request ids', async () => {
    const platform = { ...nodePlatform, randomBytes: (n: number) => new Uint8Array(n).fill(0xab) };
    const { c, core } = client({ platform });
    void c.provision(INFO, 'on', TPL).catch(() => undefined);
    expect((await core.nth(1)).rid).toBe('abababababababab');
    c.close();
  });

  it('rejects wrong arguments with TypeError', () => {
    const { c } = client();
    expect(() => c.provision(INFO, 'off' as 'on', TPL)).toThrow(TypeError);
    expect(() => c.provision(INFO, 'on', new Uint8Array(0))).toThrow(TypeError);
    expect(() => c.provision({ ...INFO, imsi: '240019999999999' }, 'on', TPL)).toThrow(TypeError);
    expect(() => new ProvisionClient({ imsi: 'x', codec: wireCodec, transport: new FakeCore(), platform: nodePlatform })).toThrow(TypeError);
  });
});

describe('ProvisionClient: endpoints that move [DESIGN.md step 207]', () => {
  it('a second ready with other endpoints updates the provision and calls onUpdate; a duplicate does not', async () => {
    const updates: DevReady[] = [];
    const { c, core } = client({ onUpdate: (r) => updates.push(r) });
    await c.start();
    const p = c.provision(INFO, 'on', TPL);
    await happy(core, 1, 'p1');
    await p;
    core.down(ready('p1')); // redelivery: same endpoints
    const moved: DevReady = { t: 'ready', pid: 'p1', edge: 'edge-a', svc: [{ n: 'fn', ep: 'http://127.0.0.1:2/p1' }] };
    core.down(moved);
    core.down(moved); // and its redelivery
    expect(updates).toEqual([moved]);
    expect(c.readyOf('p1')).toEqual(moved);
  });
});
