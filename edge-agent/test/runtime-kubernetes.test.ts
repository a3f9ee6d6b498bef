// The Kubernetes runtime with its generated Pod/Service manifests run by `podman kube play`: proof
// that the manifests are valid and start (and answer their health check), through the shared
// runtime contract, plus the limits Podman applied from resources.limits read back inside.
//
// NOT exercised here: ClusterBackend (CoreV1Api create/read/list/delete against a real API
// server). No cluster runs on this machine, a fake API server would only test our assumptions,
// and @kubernetes/client-node 2.0.1 does not load on Node 20 (undici 8 needs Node >= 22.19).
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFnImage, type FnImage } from '../src/runtime/image/build.js';
import { fnLimits } from '../src/runtime/image/fn-container.js';
import { fnManifests, labelAnnotations, labelsFromAnnotations } from '../src/runtime/kube-manifest.js';
import { PodmanKubeBackend } from '../src/runtime/kube-play.js';
import { KubernetesRuntime } from '../src/runtime/kubernetes.js';
import { post } from './helpers.js';
import { contractSpec, runtimeContract, testEdge } from './runtime-contract.js';
import { podman, startPodmanService } from './runtime-podman.js';

let image: FnImage | undefined;

beforeAll(async () => {
  // The image is built through the API socket (same store as the podman CLI, both rootful).
  const svc = await startPodmanService();
  try {
    image = await ensureFnImage(svc.docker);
  } finally {
    await svc.stop();
  }
}, 120_000);

afterAll(async () => {
  // Whatever a failed test left: pods labelled with this file's edges.
  const pods = JSON.parse((await podman(['pod', 'ps', '--format', 'json'])) || '[]') as Array<{ Name: string; Labels?: Record<string, string> }>;
  for (const p of pods) if ((p.Labels?.['simedge.edge'] ?? '').startsWith(`edge-t${process.pid}x`)) await podman(['pod', 'rm', '--force', p.Name]).catch(() => undefined);
}, 30_000);

function kube(edge: string): KubernetesRuntime {
  if (!image) throw new Error('fn image missing (see beforeAll)');
  return new KubernetesRuntime({ backend: new PodmanKubeBackend(), image: image.ref, edge, hostPort: PodmanKubeBackend.hostPort, startTimeoutMs: 15_000 });
}

runtimeContract('kubernetes (podman kube play)', () => ({ make: kube, timeoutMs: 20_000 }));

describe('kubernetes runtime: host ports', () => {
  it('a host port taken before the pod binds it: the failed pod goes and a fresh port is used', async () => {
    // Another process holds the first port the allocator hands out (the race freePort() leaves open).
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const taken = (holder.address() as { port: number }).port;
    const edge = testEdge();
    const given: number[] = [];
    const r = new KubernetesRuntime({
      backend: new PodmanKubeBackend(), image: image!.ref, edge, startTimeoutMs: 15_000,
      hostPort: async () => {
        const p = given.length === 0 ? { port: taken, ip: '127.0.0.1' } : await PodmanKubeBackend.hostPort();
        given.push(p.port);
        return p;
      },
    });
    try {
      const inst = await r.start(contractSpec(edge, 'function handle(i) { return i.n * 2; }'));
      expect(given).toHaveLength(2);
      expect(inst.endpoint).toBe(`http://127.0.0.1:${given[1]}/`);
      expect(await post(inst.endpoint, '{"n": 21}')).toEqual({ status: 200, body: 42 });
      // One pod of this edge: the one that failed on the taken port was removed.
      expect((await r.list()).map((x) => x.id)).toEqual([inst.id]);
    } finally {
      await r.close();
      await new Promise<void>((res) => holder.close(() => res()));
    }
  }, 30_000);
});

describe('kubernetes manifests', () => {
  it('resources.limits from res reach the container cgroup (podman kube play)', async () => {
    const edge = testEdge();
    const r = kube(edge);
    try {
      const spec = contractSpec(edge, 'function handle() { return 1; }', { res: { cpu: 0.5, mem: 48 } });
      const inst = await r.start(spec);
      const out = await podman(['exec', `${inst.id}-fn`, '/usr/bin/node', '-p', "require('fs').readFileSync('/sys/fs/cgroup/memory/memory.limit_in_bytes','utf8').trim() + ' ' + require('fs').readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us','utf8').trim()"]);
      expect(out.trim()).toBe(`${fnLimits(spec.res).memoryBytes} 50000`);
    } finally {
      await r.close();
    }
  }, 20_000);

  it('keeps the RunSpec labels verbatim in an annotation; pod labels are valid label values', () => {
    const spec = contractSpec('edge-a', 'function handle() {}');
    const { pod, service } = fnManifests(spec, { name: 'simedge-x-1', namespace: 'ns', image: `localhost/simedge-fn@sha256:${'0'.repeat(64)}`, callTimeoutMs: 1000 });
    const long = { ...spec.labels, 'simedge.spec': `sha256:${'ab'.repeat(32)}` };
    const annotations = labelAnnotations(long);
    for (const v of Object.values(annotations)) expect(v.length).toBeLessThanOrEqual(63);
    expect(labelsFromAnnotations(annotations)).toEqual(long);
    expect(labelsFromAnnotations(pod.metadata?.annotations ?? {})).toEqual(spec.labels);
    for (const v of Object.values(pod.metadata?.labels ?? {})) expect(v).toMatch(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/);
    expect(pod.spec?.containers[0]?.resources?.limits).toEqual({ memory: String(48 * 1024 * 1024), cpu: '500m' });
    expect(service.spec?.selector).toEqual({ 'simedge.instance': 'simedge-x-1' });
    expect(() => new KubernetesRuntime({ backend: new PodmanKubeBackend(), image: 'sha256:' + '0'.repeat(64), edge: 'edge-a' })).toThrow(TypeError);
  });
});
