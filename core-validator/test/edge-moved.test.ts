// An edge that restarts a service on another endpoint (agent crash, old port taken) sends a second
// `ready` for a COMPLETED provision: the core stores and relays the new endpoints; a redelivered
// ready with the same endpoints is ignored [DESIGN.md step 207, QoS 1 redelivery].
import { afterEach, describe, expect, it } from 'vitest';
import { IMSI, downOf, startWorld, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('endpoints that move after ready', () => {
  it('relays a changed endpoint once, ignores a same-endpoint redelivery', async () => {
    w = await startWorld();
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    const first = await w.obs.waitFor(downOf(IMSI, 'ready'), 'first ready');
    const deploy = await w.edgeA.nextOrder('deploy');
    // A redelivery of the same ready, then the moved endpoint, then a marker (a fresh hello's chal)
    // so the observer has seen everything the core sent before it.
    w.edgeA.send({ t: 'ready', oid: deploy.oid, pid: acc.pid, edge: 'edge-a', svc: w.edgeA.svc });
    const moved = [{ n: 'onem2m-cse', ep: 'http://edge-a.local:9090/cse' }];
    w.edgeA.send({ t: 'ready', oid: deploy.oid, pid: acc.pid, edge: 'edge-a', svc: moved });
    const second = await w.obs.waitFor(downOf(IMSI, 'ready', (m) => m.svc[0]?.ep !== first.svc[0]?.ep), 'moved ready');
    expect(second).toEqual({ t: 'ready', pid: acc.pid, edge: 'edge-a', svc: moved });
    await w.hello('marker');
    await w.core.idle();
    const readies = w.obs.all.map((r) => downOf(IMSI, 'ready')(r)).filter((m) => m !== undefined);
    expect(readies).toHaveLength(2);
    expect((await w.core.store.provisions({ imsi: IMSI }))[0]).toMatchObject({ state: 'COMPLETED', svc: moved });
  });
});
