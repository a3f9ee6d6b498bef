// Shared mode (scale-out) needs MQTT 5 shared subscriptions; the embedded aedes broker speaks
// MQTT 3.1.1 only. A core started that way must fail with a code that says what to change, not
// with the broker's bare CONNACK reason, and must leave no lease behind for others to wait on.
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair, isSimedgeError } from '@simedge/device-sdk/wire';
import { startEmbeddedBroker, type EmbeddedBroker } from '../src/broker.js';
import { CoreValidator } from '../src/core.js';
import { silentLogger } from '../src/log.js';

let broker: EmbeddedBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('shared mode on an MQTT 3.1.1 broker', () => {
  it('start() fails with BROKER_NO_MQTT5 and drops its liveness lease', async () => {
    broker = await startEmbeddedBroker();
    const core = new CoreValidator({ brokerUrl: broker.url, coreKey: { kid: 'core-1', seed: generateKeyPair().seed }, shared: true, log: silentLogger });
    const err = await core.start().then(() => undefined, (e: unknown) => e);
    expect(isSimedgeError(err) && err.code).toBe('BROKER_NO_MQTT5');
    expect(String((err as Error).message)).toMatch(/MQTT 5 broker/);
    // The lease was taken before connecting (a claim must never look like a dead core's); it is
    // gone now: a provision this core owned is at once adoptable by another core.
    const now = Date.now();
    await core.store.createProvision({
      pid: 'p-1', imsi: '240011234000001', edge: 'edge-a', state: 'STARTING', tid: 'acme.thermo', cls: 'acme/thermo', rid: 'r1', oid: 'o-1',
      created: now, updated: now, seq: 1, mfr: 'acme', services: ['svc'], owner: core.id,
    });
    expect((await core.store.adoptOrphans('core-other', ['STARTING'], now)).map((p) => p.pid)).toEqual(['p-1']);
    await core.stop();
  });

  it('without shared, the same broker serves the core (MQTT 3.1.1)', async () => {
    broker = await startEmbeddedBroker();
    const core = new CoreValidator({ brokerUrl: broker.url, coreKey: { kid: 'core-1', seed: generateKeyPair().seed }, log: silentLogger });
    await core.start();
    await core.stop();
  });
});
