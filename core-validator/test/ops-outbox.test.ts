// Device notifications survive a core dying between the commit of a state change and the
// broker having its notification (src/outbox.ts), and a make-before-break cut short by a crash is
// finished on the next start. The crash is simulated at exactly that point: the core's publish
// hook refuses the `ready` / `term` (as a process gone before its PUBACK), then the core stops and
// a new one starts on the same SQLite file. Real broker, real SQLite file, scripted edges.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';
import { decodeDown, topics } from '@simedge/device-sdk/wire';
import { CoreValidator, silentLogger, type CoreOptions } from '../src/index.js';
import { IMSI, downOf, startWorld, type World } from './harness.js';

let w: World | undefined;
let fwd: MqttClient | undefined;
let again: CoreValidator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await again?.stop();
  again = undefined;
  if (fwd) await endMqtt(fwd, true);
  fwd = undefined;
  await w?.close();
  w = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'simedge-outbox-'));
  dirs.push(d);
  return join(d, 'core.db');
}

/** A world whose core publishes through `fwd`, except the down messages of the kinds in `lost`. */
async function crashingWorld(dbPath: string, lost: Set<string>): Promise<World> {
  const hook: CoreOptions['publish'] = (topic, payload) => {
    if (topic === topics.deviceDown(IMSI) && lost.has(decodeDown(payload).t)) throw new Error('simulated crash before PUBACK');
    if (!fwd) throw new Error('forwarder not connected');
    fwd.publish(topic, Buffer.from(payload), { qos: 1 });
  };
  const world = await startWorld({ dbPath, publish: hook });
  fwd = await connectMqtt(world.broker.url, { clientId: 'test-forwarder' });
  return world;
}

/** A second core on the same database, as after a restart. */
async function restart(world: World, dbPath: string): Promise<CoreValidator> {
  await world.core.stop();
  const c = new CoreValidator({ brokerUrl: world.broker.url, coreKey: { kid: world.coreKey.kid, seed: world.coreKey.seed }, dbPath, now: () => world.clock.ms, log: silentLogger });
  again = c;
  await c.start();
  return c;
}

describe('device notifications committed with their state change (outbox)', () => {
  it('a ready and a term lost with the core are sent, in that order, by the next start; then the outbox is empty', async () => {
    const dbPath = dbFile();
    w = await crashingWorld(dbPath, new Set(['ready', 'term']));
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.waitTrace('ready');
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    await w.waitTrace('term');
    await w.marker(); // everything the first core published is observed by now
    expect(w.obs.down().map((m) => m.t)).toEqual(['chal', 'acc', 'chal']);
    expect((await w.core.store.provision(acc.pid))?.state).toBe('REMOVED'); // the state changes did commit

    const from = w.obs.all.length;
    const c = await restart(w, dbPath);
    const ready = await w.obs.waitFor(downOf(IMSI, 'ready', (m) => m.pid === acc.pid), 'ready after restart', from);
    expect(ready.svc).toEqual(w.edgeA.svc);
    await w.obs.waitFor(downOf(IMSI, 'term', (m) => m.pid === acc.pid && m.why === 'bye'), 'term after restart', from);
    expect(w.obs.all.slice(from).map((r) => decodeDown(r.payload).t)).toEqual(['ready', 'term']);
    await c.idle(); // the rows go once the broker acknowledged them
    expect(await c.store.adoptOutbox('core-probe', w.clock.ms)).toEqual([]);
  });

  it('a deploy failure lost with the core reaches the device as rej on the next start', async () => {
    const dbPath = dbFile();
    w = await crashingWorld(dbPath, new Set(['rej']));
    w.edgeA.auto = false;
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    const order = await w.edgeA.nextOrder('deploy');
    w.edgeA.send({ t: 'fail', oid: order.oid, pid: order.pid, edge: 'edge-a', code: 'IMAGE_MISSING', msg: 'no such image' });
    await w.waitTrace('failed');
    const from = w.obs.all.length;
    await restart(w, dbPath);
    const rej = await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p1'), 'rej after restart', from);
    expect(rej).toMatchObject({ code: 'DEPLOY_FAILED', msg: 'no such image' }); // not one of our codes: reported as DEPLOY_FAILED
  });

  it('without a crash nothing is sent twice and nothing stays in the outbox', async () => {
    w = await startWorld({ dbPath: dbFile() });
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.obs.waitFor(downOf(IMSI, 'ready', (m) => m.pid === acc.pid), 'ready');
    w.up({ t: 'bye', rid: 'b1', imsi: IMSI, why: 'off' });
    await w.obs.waitFor(downOf(IMSI, 'term', (m) => m.pid === acc.pid), 'term');
    await w.core.idle();
    await w.marker();
    expect(w.obs.down().filter((m) => m.t === 'ready' || m.t === 'term').map((m) => m.t)).toEqual(['ready', 'term']);
    expect(await w.core.store.adoptOutbox('core-probe', w.clock.ms)).toEqual([]);
  });
});

describe('make-before-break cut short by a crash', () => {
  it('on start, a COMPLETED provision with a newer COMPLETED one of the same IMSI is removed (term roam); the newer stays', async () => {
    const dbPath = dbFile();
    w = await startWorld({ dbPath });
    const now = w.clock.ms;
    // The state a core leaves when it dies after committing the new provision's COMPLETED and
    // before sending the old one's remove order.
    const base = { imsi: IMSI, state: 'COMPLETED' as const, tid: 'acme.thermo', cls: 'acme/thermo-nb1', seq: 7, mfr: 'acme', services: ['onem2m-cse'], updated: now };
    await w.core.store.createProvision({ ...base, pid: 'p-old', edge: 'edge-a', rid: 'r-old', oid: 'o-old', created: now - 60_000 });
    await w.core.store.createProvision({ ...base, pid: 'p-new', edge: 'edge-b', rid: 'r-new', oid: 'o-new', created: now - 1_000 });
    const before = w.edgeA.orders.length;
    await restart(w, dbPath);
    const removal = await w.edgeA.nextOrder('remove', before);
    expect(removal.pid).toBe('p-old');
    await w.obs.waitFor(downOf(IMSI, 'term', (m) => m.pid === 'p-old' && m.why === 'roam'), 'term roam for the old provision');
    expect((await again!.store.provision('p-new'))?.state).toBe('COMPLETED');
    expect(w.edgeB.orders.filter((o) => o.t === 'remove')).toEqual([]);
  });

  it('on start, a newer COMPLETED provision of another template replaces nothing: a device may run several', async () => {
    const dbPath = dbFile();
    w = await startWorld({ dbPath });
    const now = w.clock.ms;
    const base = { imsi: IMSI, state: 'COMPLETED' as const, cls: 'acme/thermo-nb1', seq: 7, mfr: 'acme', services: ['onem2m-cse'], updated: now };
    await w.core.store.createProvision({ ...base, tid: 'acme.thermo', pid: 'p-thermo', edge: 'edge-a', rid: 'r-1', oid: 'o-1', created: now - 60_000 });
    await w.core.store.createProvision({ ...base, tid: 'acme.fwupdate', pid: 'p-fw', edge: 'edge-a', rid: 'r-2', oid: 'o-2', created: now - 1_000 });
    await restart(w, dbPath);
    await again!.idle();
    expect(w.edgeA.orders.filter((o) => o.t === 'remove')).toEqual([]);
    expect((await again!.store.provision('p-thermo'))?.state).toBe('COMPLETED');
    expect((await again!.store.provision('p-fw'))?.state).toBe('COMPLETED');
  });
});
