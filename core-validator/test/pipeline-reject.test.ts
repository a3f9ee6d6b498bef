// The steps added to the `prov` pipeline [step 204; issue 4 item 2]: anti-rollback, SIM binding,
// subscriber status, IoT SAFE proof, catalog policy, quotas and capacity. Each rejection answers
// `rej` with its stable code and deploys nothing (no order on any edge topic after a marker round
// trip through the same observer connection, no provision record). Real broker, real SQLite.
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '@simedge/device-sdk/wire';
import { type CoreOptions } from '../src/index.js';
import { CELL_A, IMSI, key, startWorld, type World } from './harness.js';
import { edgeStatus, newSim, nothingDeployed, provWith, simSign } from './pipeline-tools.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const TWO_SVC = [
  { n: 'onem2m-cse', ver: '^1', res: { cpu: 0.1, mem: 32 } },
  { n: 'fn', res: { mem: 16 } },
];

interface Case {
  code: string;
  name: string;
  opts?: Partial<CoreOptions>;
  run(w: World): Promise<unknown>;
}

/** Accept one provision first (its order is legitimate), then watch only what follows. */
async function acceptFirst(w: World, tpl = w.template()): Promise<void> {
  expect(await w.provision('p0', tpl)).toMatchObject({ t: 'acc' });
  await w.marker();
  w.obs.all.length = 0;
}

const CASES: Case[] = [
  {
    code: 'TEMPLATE_ROLLBACK', name: 'seq below the highest accepted for the template id [DESIGN Trust]',
    async run(w) {
      await acceptFirst(w, w.template({ seq: 7 }));
      return w.provision('p1', w.template({ seq: 6 }));
    },
  },
  { code: 'SIM_BINDING', name: 'ICCID prefix not in bind.iccid', run: (w) => w.provision('p1', w.template({ bind: { iccid: ['894602'] } })) },
  { code: 'SIM_BINDING', name: 'IMSI prefix not in bind.imsi', run: (w) => w.provision('p1', w.template({ bind: { imsi: ['24002'] } })) },
  {
    code: 'SIM_BINDING', name: 'serving PLMN (from the network, not the device) not in bind.plmn',
    run: (w) => w.provision('p1', w.template({ bind: { iccid: ['894601'], plmn: ['24002', '26201'] } })),
  },
  {
    code: 'SUBSCRIBER_SUSPENDED', name: 'the registry marks the subscription suspended',
    async run(w) {
      await w.core.store.setSubscriberStatus(IMSI, 'suspended');
      return w.provision('p1');
    },
  },
  {
    code: 'BAD_SIM_PROOF', name: 'a proof by another SIM key (IoT SAFE)',
    async run(w) {
      await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: newSim().spki });
      const nonce = await w.hello('h1');
      const tpl = w.template();
      return provWith(w, 'p1', nonce, tpl, simSign(newSim(), nonce, tpl));
    },
  },
  {
    code: 'BAD_SIM_PROOF', name: 'a proof over another template (the digest is signed)',
    async run(w) {
      const sim = newSim();
      await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: sim.point });
      const nonce = await w.hello('h1');
      return provWith(w, 'p1', nonce, w.template(), simSign(sim, nonce, w.template({ seq: 8 })));
    },
  },
  {
    code: 'BAD_SIM_PROOF', name: 'a proof over another nonce',
    async run(w) {
      const sim = newSim();
      await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: sim.spki });
      const nonce = await w.hello('h1');
      const tpl = w.template();
      return provWith(w, 'p1', nonce, tpl, simSign(sim, new Uint8Array(16), tpl, IMSI, 'ieee-p1363'));
    },
  },
  {
    code: 'BAD_SIM_PROOF', name: 'proof bytes that are neither DER nor r‖s',
    async run(w) {
      await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: newSim().spki });
      const nonce = await w.hello('h1');
      return provWith(w, 'p1', nonce, w.template(), new Uint8Array(70).fill(0x30));
    },
  },
  {
    code: 'BAD_SIM_PROOF', name: 'no proof while the policy requires one',
    opts: { policy: { requireSimProof: true } },
    async run(w) {
      await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: newSim().spki });
      return w.provision('p1');
    },
  },
  {
    code: 'BAD_SIM_PROOF', name: 'the policy requires a proof and no key is registered for the SIM',
    opts: { policy: { requireSimProof: true } },
    async run(w) {
      const nonce = await w.hello('h1');
      const tpl = w.template();
      return provWith(w, 'p1', nonce, tpl, simSign(newSim(), nonce, tpl));
    },
  },
  {
    code: 'POLICY_DENIED', name: 'a service the catalog does not offer',
    opts: { policy: { catalog: { fn: ['1.0.0'] } } },
    run: (w) => w.provision('p1'),
  },
  {
    code: 'POLICY_DENIED', name: 'no catalog version satisfies the template range',
    opts: { policy: { catalog: { 'onem2m-cse': ['0.9.0', '2.0.0'] } } },
    run: (w) => w.provision('p1'),
  },
  {
    code: 'QUOTA_EXCEEDED', name: 'the plan\'s concurrent provisions are in use',
    async run(w) {
      await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', plan: { maxProvisions: 1 } });
      w.edgeA.auto = false; // the first one stays STARTING: it holds its slot
      await acceptFirst(w);
      return w.provision('p1');
    },
  },
  {
    code: 'QUOTA_EXCEEDED', name: 'more services than the default plan allows',
    opts: { policy: { defaultPlan: { maxServices: 1 } } },
    run: (w) => w.provision('p1', w.template({ svc: TWO_SVC })),
  },
  {
    code: 'NO_CAPACITY', name: 'the cell\'s edge is up but full, and no other edge is near',
    async run(w) {
      await edgeStatus(w, w.edgeA, { cap: { cpu: 4, mem: 4096 }, used: { cpu: 3.95, mem: 1000 } });
      return w.provision('p1');
    },
  },
  {
    code: 'NO_CAPACITY', name: 'memory is short on every candidate, including the cost-table fallback',
    async run(w) {
      await w.core.store.setEdgeCost(CELL_A, 'edge-b', 10);
      await edgeStatus(w, w.edgeA, { used: { cpu: 0, mem: 4090 } });
      await edgeStatus(w, w.edgeB, { used: { cpu: 0, mem: 4070 } });
      return w.provision('p1');
    },
  },
];

describe('new pipeline steps reject with their code and deploy nothing [step 204]', () => {
  it.each(CASES)('$code: $name', async (c) => {
    w = await startWorld(c.opts ?? {});
    const reply = await c.run(w);
    expect(reply).toMatchObject({ t: 'rej', rid: 'p1', code: c.code });
    const after = await nothingDeployed(w, 'p1');
    expect(after.orders).toBe(0);
    expect(after.provisions).toBe(0);
    expect(after.rejected).toEqual([c.code]);
  });
});

describe('the same steps let good requests through', () => {
  it('an IoT SAFE proof verifies as DER with an SPKI key and as raw r‖s with a bare point', async () => {
    w = await startWorld({ policy: { requireSimProof: true } });
    const sim = newSim();
    await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: sim.spki });
    let nonce = await w.hello('h1');
    const tpl = w.template();
    expect(await provWith(w, 'p1', nonce, tpl, simSign(sim, nonce, tpl, IMSI, 'der'))).toMatchObject({ t: 'acc' });
    await w.core.store.addSubscriber({ imsi: IMSI, iccid: '89460112340000010', simKey: sim.point });
    nonce = await w.hello('h2');
    const raw = simSign(sim, nonce, tpl, IMSI, 'ieee-p1363');
    expect(raw.length).toBe(64);
    expect(await provWith(w, 'p2', nonce, tpl, raw)).toMatchObject({ t: 'acc' });
  });

  it('a registry refuses a SIM key that is not a P-256 public key', async () => {
    const world = await startWorld();
    w = world;
    await expect(world.core.store.addSubscriber({ imsi: IMSI, iccid: '1', simKey: generateKeyPair().publicKey })).rejects.toThrow(TypeError);
    await expect(world.core.store.addSubscriber({ imsi: IMSI, iccid: '1', simKey: new Uint8Array(65).fill(4) })).rejects.toThrow(TypeError);
    expect((await world.core.store.subscriber(IMSI))?.simKey).toBeUndefined();
  });

  it('anti-rollback: an equal seq is accepted (re-sent after a reset); only an accepted prov raises the stored seq', async () => {
    w = await startWorld();
    expect(await w.provision('p1', w.template({ seq: 7 }))).toMatchObject({ t: 'acc' });
    expect(await w.core.store.templateSeq('acme', 'acme.thermo')).toBe(7);
    expect(await w.provision('p2', w.template({ seq: 7 }))).toMatchObject({ t: 'acc' });
    // seq 9 fails a later step (capacity): the stored seq stays 7, so seq 8 still passes
    expect(await w.provision('p3', w.template({ seq: 9, svc: [{ n: 'big', res: { mem: 60000 } }] }))).toMatchObject({ t: 'rej', code: 'NO_CAPACITY' });
    expect(await w.core.store.templateSeq('acme', 'acme.thermo')).toBe(7);
    expect(await w.provision('p4', w.template({ seq: 8 }))).toMatchObject({ t: 'acc' });
    expect(await w.core.store.templateSeq('acme', 'acme.thermo')).toBe(8);
  });

  it('anti-rollback is per manufacturer: another maker\'s same template id does not lock it', async () => {
    w = await startWorld();
    const globex = key('globex-1');
    await w.core.store.addTrustKey({ kid: globex.kid, publicKey: globex.publicKey, mfr: 'globex' });
    expect(await w.provision('p1', w.template({ mfr: 'globex', seq: 4_000_000_000 }, globex))).toMatchObject({ t: 'acc' });
    expect(await w.provision('p2', w.template({ seq: 1 }))).toMatchObject({ t: 'acc' });
  });

  it('the catalog accepts a template whose range a listed version satisfies; a template without `ver` needs the name only', async () => {
    w = await startWorld({ policy: { catalog: { 'onem2m-cse': ['0.9.0', '1.4.2'], fn: ['3.0.0'] } } });
    expect(await w.provision('p1', w.template({ svc: TWO_SVC }))).toMatchObject({ t: 'acc' });
  });

  it('a binding that matches passes (ICCID and IMSI prefixes, serving PLMN)', async () => {
    w = await startWorld();
    expect(await w.provision('p1', w.template({ bind: { iccid: ['89460'], imsi: ['24001'], plmn: ['24001'] } }))).toMatchObject({ t: 'acc' });
  });
});

describe('pipeline order [issue 4 item 2]', () => {
  it('runs the steps in the documented order', async () => {
    const { PIPELINE } = await import('../src/index.js');
    expect(PIPELINE.map((s) => s.name)).toEqual([
      'decode', 'key', 'signature', 'template', 'key-scope', 'expiry', 'rollback', 'subscriber', 'attach', 'binding',
      'subscriber-status', 'sim-proof', 'attest', 'nonce', 'catalog', 'quota', 'placement',
    ]);
  });

  it('the earlier step decides the code, and the nonce is consumed even then', async () => {
    w = await startWorld({ policy: { catalog: {} } });
    await w.core.store.setSubscriberStatus(IMSI, 'suspended'); // SIM identity comes before policy
    const nonce = await w.hello('h1');
    expect(await w.prov('p1', nonce, w.template())).toMatchObject({ t: 'rej', code: 'SUBSCRIBER_SUSPENDED' });
    await w.core.store.setSubscriberStatus(IMSI, 'active');
    // same nonce again: single-use even though the first attempt failed before the nonce step
    expect(await w.prov('p2', nonce, w.template())).toMatchObject({ t: 'rej', code: 'BAD_NONCE' });
  });
});
