// Remove orders are re-sent until the edge answers [DESIGN "The flow" 209-210, "Retries use
// jittered exponential backoff"; README "The flow"], in the default single-core mode too: the edge
// agent connects with a clean MQTT session, so a copy sent while it is away is lost. A removal the
// edge never confirms still ends, at the operation deadline, with a `term` to the device (why
// TIMEOUT), the provision FAILED_TEMP and its charging closed; a late `removed` is handled once.
// A timed-out deploy's clean-up remove order is re-sent the same way. Real broker, real SQLite;
// the edges are scripted MQTT clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSign1, encodeMsg, parseOrder, topics, type EdgeEvent, type RemoveOrder } from '@simedge/device-sdk/wire';
import { CoreValidator, silentLogger, type Fields, type Level } from '../src/index.js';
import { IMSI, closeChecked, downOf, startWorld, type World } from './harness.js';

let w: World | undefined;
let again: CoreValidator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await again?.stop();
  again = undefined;
  await closeChecked(w);
  w = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FAST_RETRY = { baseMs: 10, maxMs: 20 };

async function accepted(world: World, rid: string): Promise<string> {
  const acc = await world.provision(rid);
  if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t} ${acc.t === 'rej' ? acc.code : ''}`);
  return acc.pid;
}

/** A remove order for edge-a as the observer saw it leave the core (whether or not the edge got it). */
const removeSent = (r: { topic: string; payload: Uint8Array }): RemoveOrder | undefined => {
  if (r.topic !== topics.edgeOrders('edge-a')) return undefined;
  const o = parseOrder(decodeSign1(r.payload).payload);
  return o.t === 'remove' ? o : undefined;
};

/** Publish an edge event and wait for the broker's acknowledgement, then round-trip a marker: the
 *  core has handled the event once the marker's chal is back (one connection, one serial queue). */
async function edgeSays(world: World, ev: EdgeEvent): Promise<void> {
  await world.edgeA.client.publishAsync(topics.edgeEvents('edge-a'), Buffer.from(encodeMsg(ev)), { qos: 1 });
  await world.marker();
  await world.core.idle();
}

/** The edge has received at least `n` copies of the remove order `oid`. */
const copies = (world: World, oid: string, n: number) => world.edgeA.inbox.waitFor(
  () => (world.edgeA.orders.filter((o) => o.t === 'remove' && o.oid === oid).length >= n ? true : undefined), `${n} copies of remove ${oid}`,
);

describe('remove-order retries, single core [DESIGN 209-210]', () => {
  it('a remove order whose first copy is lost (the edge was away) is re-sent, same oid; the removal completes with term bye', async () => {
    w = await startWorld({ retry: FAST_RETRY, opTimeoutMs: 4000 });
    const pid = await accepted(w, 'p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    // The edge is away (reconnecting with a clean session): nothing subscribed to its orders.
    await w.edgeA.client.unsubscribeAsync(topics.edgeOrders('edge-a'));
    const from = w.obs.all.length;
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    const first = await w.obs.waitFor(removeSent, 'the first remove copy leaving the core', from);
    expect(first.pid).toBe(pid);
    expect(w.edgeA.orders.filter((o) => o.t === 'remove')).toEqual([]); // lost

    await w.edgeA.client.subscribeAsync(topics.edgeOrders('edge-a'), { qos: 1 }); // back
    const copy = await w.edgeA.nextOrder('remove');
    expect(copy).toMatchObject({ oid: first.oid, pid, imsi: IMSI, edge: 'edge-a' }); // the same order: applied once at the edge
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid, why: 'bye' });
    await w.core.idle();
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'REMOVED', endWhy: 'bye', oid: first.oid });
    expect(w.traces.some((t) => t.step === 209 && t.ev === 'remove-retry')).toBe(true);
    expect((await w.core.store.charging()).map((c) => c.stop)).toEqual([w.clock.ms]);
  });

  it('a removal never confirmed ends at the deadline: term TIMEOUT, FAILED_TEMP, charging closed; a late removed is handled once', async () => {
    w = await startWorld({ retry: FAST_RETRY, opTimeoutMs: 1000 });
    const t0 = w.clock.ms;
    const pid = await accepted(w, 'p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    w.edgeA.auto = false; // the edge takes the remove orders and never answers
    w.clock.ms += 30_000; // the service ran 30 s on the core's clock
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    const order = await w.edgeA.nextOrder('remove');
    await copies(w, order.oid, 3); // re-sent while unanswered, always the same oid

    // The operation deadline (1 s, many retry intervals later) is the event waited on.
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term after the deadline')).toEqual({ t: 'term', pid, why: 'TIMEOUT' });
    await w.core.idle();
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'FAILED_TEMP', code: 'TIMEOUT', endWhy: 'bye', oid: order.oid });
    expect(await w.core.store.charging()).toEqual([{ imsi: IMSI, pid, service: 'onem2m-cse', edge: 'edge-a', start: t0, stop: t0 + 30_000 }]);
    expect(w.traces.some((t) => t.step === 210 && t.ev === 'remove-timeout')).toBe(true);
    // The device did not get that term (QoS 1 redelivers its bye): the same term goes again.
    const before = w.obs.all.length;
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term for the redelivered bye', before)).toEqual({ t: 'term', pid, why: 'TIMEOUT' });
    await w.core.idle();
    const sends = (await w.core.store.order(order.oid))?.sends ?? 0;
    expect(sends).toBeGreaterThanOrEqual(3);

    // The edge answers after all (twice: a QoS 1 redelivery): REMOVED, nothing else changes.
    w.clock.ms += 5_000;
    await edgeSays(w, { t: 'removed', oid: order.oid, pid, edge: 'edge-a' });
    await edgeSays(w, { t: 'removed', oid: order.oid, pid, edge: 'edge-a' });
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'REMOVED', code: 'TIMEOUT', endWhy: 'bye' });
    expect(w.traces.filter((t) => t.ev === 'removed-late')).toHaveLength(1);
    expect(w.obs.down().filter((m) => m.t === 'term')).toEqual([{ t: 'term', pid, why: 'TIMEOUT' }, { t: 'term', pid, why: 'TIMEOUT' }]); // the late removed adds none
    expect((await w.core.store.charging())[0]?.stop).toBe(t0 + 30_000); // billing stopped where the core gave up
    expect((await w.core.store.order(order.oid))?.sends).toBe(sends); // no re-send after the deadline

    // A redelivered bye repeats the term it got, TIMEOUT, not 'bye'.
    const from = w.obs.all.length;
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term again', from)).toEqual({ t: 'term', pid, why: 'TIMEOUT' });
  });

  it('the clean-up remove after a deploy timeout is re-sent until the edge answers removed; the provision stays FAILED_TEMP', async () => {
    w = await startWorld({ retry: FAST_RETRY, opTimeoutMs: 300 });
    w.edgeA.auto = false;
    const pid = await accepted(w, 'p1');
    expect(await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT')).toMatchObject({ code: 'TIMEOUT' });
    const cleanup = await w.edgeA.nextOrder('remove');
    await copies(w, cleanup.oid, 3);
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'FAILED_TEMP', code: 'TIMEOUT', oid: cleanup.oid });

    await edgeSays(w, { t: 'removed', oid: cleanup.oid, pid, edge: 'edge-a' });
    const p = await w.core.store.provision(pid);
    expect(p).toMatchObject({ state: 'FAILED_TEMP', code: 'TIMEOUT' });
    expect(p?.deadline).toBeUndefined(); // nothing in flight any more
    expect(w.traces.filter((t) => t.ev === 'removed-late')).toHaveLength(1);
    const sends = (await w.core.store.order(cleanup.oid))?.sends;
    await edgeSays(w, { t: 'removed', oid: cleanup.oid, pid, edge: 'edge-a' }); // a repeat changes nothing
    expect(w.traces.filter((t) => t.ev === 'removed-late')).toHaveLength(1);
    expect((await w.core.store.order(cleanup.oid))?.sends).toBe(sends);
    expect(w.obs.down().filter((m) => m.t === 'term' || m.t === 'ready')).toEqual([]); // the device had its rej
  });

  it('an unanswered clean-up remove stops being re-sent at its own deadline', async () => {
    let gaveUp: (f: Fields | undefined) => void = () => {};
    const gaveUpLogged = new Promise<Fields | undefined>((resolve) => { gaveUp = resolve; });
    const log = (level: Level, msg: string, f?: Fields): void => {
      if (level === 'warn' && msg.startsWith('clean-up remove order not answered')) gaveUp(f);
    };
    w = await startWorld({ retry: FAST_RETRY, opTimeoutMs: 300, log });
    w.edgeA.auto = false;
    const pid = await accepted(w, 'p1');
    await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej TIMEOUT');
    const cleanup = await w.edgeA.nextOrder('remove');
    await copies(w, cleanup.oid, 2);
    w.clock.ms += 300; // the clean-up's deadline on the core's clock
    expect(await gaveUpLogged).toMatchObject({ pid, oid: cleanup.oid });
    const sends = (await w.core.store.order(cleanup.oid))?.sends;
    await w.marker();
    await w.core.idle();
    expect((await w.core.store.order(cleanup.oid))?.sends).toBe(sends);
    expect((await w.core.store.provision(pid))?.state).toBe('FAILED_TEMP');
  });

  it('a restarted core re-sends the remove order of a provision the previous run left REMOVING (same oid)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'simedge-ops-remove-'));
    dirs.push(d);
    const dbPath = join(d, 'core.db');
    w = await startWorld({ dbPath }); // the harness's 60 s retry step: no re-send in the first run
    const pid = await accepted(w, 'p1');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    w.edgeA.auto = false;
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    const original = await w.edgeA.nextOrder('remove');
    await w.core.stop(); // unanswered: the provision stays REMOVING in the file
    const before = w.edgeA.orders.length;
    w.edgeA.auto = true;
    const world = w;
    again = new CoreValidator({
      brokerUrl: world.broker.url, coreKey: { kid: world.coreKey.kid, seed: world.coreKey.seed }, dbPath, now: () => world.clock.ms,
      log: silentLogger, retry: FAST_RETRY,
    });
    await again.start();
    expect((await w.edgeA.nextOrder('remove', before)).oid).toBe(original.oid);
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid, why: 'bye' });
    await again.idle();
    expect((await again.store.provision(pid))?.state).toBe('REMOVED');
  });
});
