// The runtime by configuration alone: an EdgeAgent with `runtime: 'oci'` and the socket of a real
// Podman API service (`podman system service` on a temp socket) builds or finds the fn image
// itself, deploys and removes containers through real signed orders on a real broker, and
// registers the fn image pruner with its artefact cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import type { EdgeReady } from '@simedge/device-sdk/wire';
import { EdgeAgent } from '../src/index.js';
import { ensureFnImage, FN_IMAGE_REPO } from '../src/runtime/image/build.js';
import { FnImagePruner } from '../src/runtime/image/pruner.js';
import { FakeCore, deployOrder, fnService, post, removeOrder } from './helpers.js';
import { startPodmanService, type PodmanService } from './runtime-podman.js';

let svc: PodmanService | undefined;
let broker: EmbeddedBroker;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  svc = await startPodmanService();
  // Built (or found) once here so the agent's own ensure is a cache hit within the test's bound.
  await ensureFnImage(svc.docker);
}, 120_000);
afterAll(async () => {
  await svc?.stop();
  await broker.close();
}, 30_000);

function podman(): PodmanService {
  if (!svc) throw new Error('podman service missing (see beforeAll)');
  return svc;
}

describe("edge agent with runtime 'oci' (configuration only)", () => {
  it('deploys an fn as a container through a real order, serves it, and removes it on order', async () => {
    const edge = `edge-t${process.pid}xoci`;
    const core = await FakeCore.connect(broker.url, edge);
    const agent = new EdgeAgent({ id: edge, brokerUrl: broker.url, coreKeys: core.trusted, cells: ['24001-0001'], runtime: 'oci', oci: { socketPath: podman().socketPath }, log: () => {} });
    try {
      await agent.start();
      const o = deployOrder(edge, [fnService('function handle(i) { return i.n + 1; }', 32)]);
      await core.send(o);
      const ready = (await core.until('ready', () => core.events.find((e) => e.oid === o.oid && (e.t === 'ready' || e.t === 'fail')))) as EdgeReady;
      expect(ready.t).toBe('ready');
      const ep = ready.svc[0]?.ep ?? '';
      expect((await post(ep, '{"n": 41}')).body).toBe(42);
      const containers = await podman().docker.listContainers({ filters: JSON.stringify({ label: [`simedge.edge=${edge}`] }) });
      expect(containers.map((c) => c.Labels['simedge.key'])).toEqual([`${o.pid}/fn`]);
      expect(agent.instances()[0]?.key).toBe(`${o.pid}/fn`);
      const r = removeOrder(edge, o.pid);
      await core.send(r);
      await core.event(r.oid, 'removed');
      expect(await podman().docker.listContainers({ all: true, filters: JSON.stringify({ label: [`simedge.edge=${edge}`] }) })).toEqual([]);
    } finally {
      await agent.stop();
      await core.close();
    }
  }, 30_000);

  it('the fn image pruner reports the current image as in use and never removes it', async () => {
    const image = await ensureFnImage(podman().docker);
    const pruner = new FnImagePruner(podman().docker, image.id);
    const listed = await pruner.list();
    const current = listed.find((i) => i.id === image.id);
    expect(current).toMatchObject({ inUse: true });
    expect(current?.bytes).toBeGreaterThan(1024 * 1024);
    await pruner.remove(image.id);
    const again = await podman().docker.listImages({ filters: JSON.stringify({ reference: [FN_IMAGE_REPO] }) });
    expect(again.map((i) => i.Id)).toContain(image.id);
  }, 30_000);
});
