// Every validation failure of a `prov` [step 204] answers `rej` with its stable code and deploys
// nothing: no order on any edge topic (checked after a marker round trip through the same
// observer connection) and no provision record.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCbor, sign1 } from '@simedge/device-sdk/wire';
import { ICCID, IMSI, key, startWorld, type World } from './harness.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const OTHER = '240019999999999';

interface Case {
  code: string;
  name: string;
  /** Arrange the world and return the reply to the prov under test. */
  run(w: World): Promise<unknown>;
}

const CASES: Case[] = [
  { code: 'COSE_INVALID', name: 'tpl is not a COSE_Sign1', run: (w) => w.provision('p1', encodeCbor([1, 2, 3])) },
  {
    code: 'BAD_NONCE', name: 'a nonce used twice [DESIGN Trust: single-use]',
    async run(w) {
      const nonce = await w.hello('h1');
      expect(await w.prov('p0', nonce, w.template())).toMatchObject({ t: 'acc' });
      await w.marker();
      w.obs.all.length = 0; // the first prov's order is legitimate; watch only what follows
      return w.prov('p1', nonce, w.template());
    },
  },
  { code: 'BAD_NONCE', name: 'a nonce never issued', run: (w) => w.prov('p1', new Uint8Array(16).fill(7), w.template()) },
  {
    code: 'BAD_NONCE', name: 'a nonce issued to another IMSI',
    async run(w) {
      await w.core.store.addSubscriber({ imsi: OTHER, iccid: ICCID });
      const nonce = await w.hello('h1', OTHER);
      return w.prov('p1', nonce, w.template());
    },
  },
  {
    code: 'BAD_NONCE', name: 'an expired nonce (TTL passed)',
    async run(w) {
      const nonce = await w.hello('h1');
      w.clock.ms += 61_000;
      return w.prov('p1', nonce, w.template({ iat: Math.floor(w.clock.ms / 1000) - 100 }));
    },
  },
  { code: 'UNKNOWN_KEY', name: 'signed by a key not in the trust store', run: (w) => w.provision('p1', w.template({}, key('rogue-1'))) },
  {
    code: 'BAD_SIGNATURE', name: 'signed by another key under the trusted kid',
    run: (w) => w.provision('p1', w.template({}, { ...key('x'), kid: w.mfr.kid })),
  },
  {
    code: 'TEMPLATE_INVALID', name: 'a signed payload that is not a template',
    run: (w) => w.provision('p1', sign1(encodeCbor({ v: 2, tid: 'x' }), w.mfr.kid, w.mfr.seed)),
  },
  { code: 'KEY_NOT_VALID', name: 'the key signs for another manufacturer', run: (w) => w.provision('p1', w.template({ mfr: 'globex' })) },
  {
    code: 'KEY_NOT_VALID', name: 'the key is revoked',
    async run(w) {
      await w.core.store.addTrustKey({ kid: w.mfr.kid, publicKey: w.mfr.publicKey, mfr: 'acme', revoked: true });
      return w.provision('p1');
    },
  },
  {
    code: 'TEMPLATE_EXPIRED', name: 'exp in the past',
    run: (w) => { const s = Math.floor(w.clock.ms / 1000); return w.provision('p1', w.template({ iat: s - 1000, exp: s })); },
  },
  {
    code: 'TEMPLATE_EXPIRED', name: 'iat in the future',
    run: (w) => { const s = Math.floor(w.clock.ms / 1000); return w.provision('p1', w.template({ iat: s + 10, exp: s + 1000 })); },
  },
  {
    code: 'UNKNOWN_IMSI', name: 'IMSI not in the subscriber registry',
    async run(w) {
      await w.core.attach({ imsi: OTHER, ip: '10.45.0.3', plmn: '24001', cell: 'cell-a1', at: w.clock.ms });
      return w.provision('p1', w.template(), OTHER);
    },
  },
  {
    code: 'NO_ATTACH', name: 'a subscriber the network has not reported attached',
    async run(w) {
      await w.core.store.addSubscriber({ imsi: OTHER, iccid: ICCID });
      return w.provision('p1', w.template(), OTHER);
    },
  },
  {
    code: 'NO_EDGE', name: 'the cell\'s edge is offline (retained status / last will)',
    async run(w) {
      await w.edgeA.status(false);
      await w.waitTrace('edge-status', 'edge-a offline');
      return w.provision('p1');
    },
  },
  {
    code: 'NO_EDGE', name: 'no edge serves the cell',
    async run(w) {
      await w.core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: 'cell-nowhere', at: w.clock.ms + 1 });
      return w.provision('p1');
    },
  },
];

describe('prov rejections [step 204]', () => {
  it.each(CASES)('$code: $name', async (c) => {
    w = await startWorld();
    const reply = await c.run(w);
    expect(reply).toMatchObject({ t: 'rej', rid: 'p1', code: c.code });
    await w.marker();
    expect(w.obs.orders()).toEqual([]);
    expect((await w.core.store.provisions()).filter((p) => p.rid === 'p1')).toEqual([]);
    expect(w.traces.filter((t) => t.step === 204 && t.ev === 'rejected').map((t) => t.detail)).toEqual([c.code]);
  });

  it('an edge advertising the cell in its status is used when the cell table has no entry', async () => {
    w = await startWorld();
    await w.edgeB.status(true, ['cell-z9']);
    await w.waitTrace('edge-status', 'edge-b online');
    await w.core.attach({ imsi: IMSI, ip: '10.45.0.2', plmn: '24001', cell: 'cell-z9', at: w.clock.ms + 1 });
    expect(await w.provision('p1')).toMatchObject({ t: 'acc', edge: 'edge-b' });
  });
});
