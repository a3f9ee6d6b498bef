// The OCI runtime against a real Podman engine through its Docker-compatible API socket
// (`podman system service`, started here on a temp socket and stopped after), with the fn image
// built locally (no registry) and pinned by digest. Runs the shared runtime contract, then what is
// OCI-specific: cgroup limits read from inside the container, adoption by a fresh runtime object
// (an agent restart), a crash after readiness reported through onExit, and the image cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { ensureFnImage, type FnImage } from '../src/runtime/image/build.js';
import { fnLimits } from '../src/runtime/image/fn-container.js';
import { OciRuntime } from '../src/runtime/oci.js';
import type { ExitInfo, Instance } from '../src/runtime/types.js';
import { post } from './helpers.js';
import { contractSpec, getStatus, runtimeContract, testEdge } from './runtime-contract.js';
import { startPodmanService, type PodmanService } from './runtime-podman.js';

let svc: PodmanService | undefined;
let image: FnImage | undefined;
let buildMs = 0;

beforeAll(async () => {
  svc = await startPodmanService();
  const t0 = performance.now();
  image = await ensureFnImage(svc.docker);
  buildMs = performance.now() - t0;
  // Timings for the report / CI budget (a cache hit hashes ~100 MB of inputs).
  process.stderr.write(`oci: podman service up in ${svc.startMs.toFixed(0)} ms; fn image ${image.built ? 'built' : 'cached'} in ${buildMs.toFixed(0)} ms (${image.ref})\n`);
}, 120_000);

afterAll(async () => {
  // Belt and braces: anything labelled by these tests' edges that a failed test left behind.
  if (svc) {
    const left = await svc.docker.listContainers({ all: true, filters: JSON.stringify({ label: ['simedge.edge'] }) });
    for (const c of left) if ((c.Labels['simedge.edge'] ?? '').startsWith(`edge-t${process.pid}x`)) await svc.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await svc.stop();
  }
}, 30_000);

function ctx(): { docker: Docker; image: string } {
  if (!svc || !image) throw new Error('podman service or fn image missing (see beforeAll)');
  return { docker: svc.docker, image: image.ref };
}

const made: OciRuntime[] = [];
function oci(edge: string, over: Partial<ConstructorParameters<typeof OciRuntime>[0]> = {}): OciRuntime {
  const r = new OciRuntime({ ...ctx(), edge, ...over });
  made.push(r);
  return r;
}
afterAll(async () => {
  for (const r of made.splice(0)) await r.close();
});

runtimeContract('oci (podman)', () => ({ make: (edge) => new OciRuntime({ ...ctx(), edge }), timeoutMs: 20_000 }));

/** Run a command inside a container (exec API) and return its stdout. */
async function execIn(docker: Docker, id: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  // Multiplexed frames [stream, 0, 0, 0, size u32 BE]: keep stdout (1).
  const buf = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    if (buf[i] === 1) out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

const READ_CGROUP = `
const fs = require('fs');
const r = (p) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch { return null; } };
console.log(JSON.stringify({
  v1mem: r('/sys/fs/cgroup/memory/memory.limit_in_bytes'), v2mem: r('/sys/fs/cgroup/memory.max'),
  quota: r('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), period: r('/sys/fs/cgroup/cpu/cpu.cfs_period_us'), v2cpu: r('/sys/fs/cgroup/cpu.max'),
}));`;

/** Memory limit (bytes) and CPU limit (cores) as the container's own cgroup says, v1 or v2. */
export function parseCgroup(json: string): { memoryBytes: number; cpus: number } {
  const c = JSON.parse(json) as Record<string, string | null>;
  const memoryBytes = Number(c.v2mem ?? c.v1mem);
  let cpus: number;
  if (c.v2cpu) {
    const [q, p] = c.v2cpu.split(' ');
    cpus = q === 'max' ? 0 : Number(q) / Number(p);
  } else cpus = Number(c.quota) < 0 ? 0 : Number(c.quota) / Number(c.period);
  return { memoryBytes, cpus };
}

describe('oci runtime (podman)', () => {
  it('applies memory and CPU limits from res: read back from the cgroup inside the container', async () => {
    const edge = testEdge();
    const r = oci(edge);
    const spec = contractSpec(edge, 'function handle() { return 1; }', { res: { cpu: 0.5, mem: 48 } });
    const inst = await r.start(spec);
    const seen = parseCgroup(await execIn(ctx().docker, inst.id, ['/usr/bin/node', '-e', READ_CGROUP]));
    expect(seen).toEqual({ memoryBytes: fnLimits(spec.res).memoryBytes, cpus: 0.5 });
    expect(seen.memoryBytes).toBe(48 * 1024 * 1024);
  }, 20_000);

  it('runs the function as nobody on a read-only root file system, from the pinned image', async () => {
    const edge = testEdge();
    const r = oci(edge);
    const inst = await r.start(contractSpec(edge, 'function handle() { return 1; }'));
    const info = await ctx().docker.getContainer(inst.id).inspect();
    expect(info.Config.User).toBe('65534:65534');
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.Image).toBe(image?.id);
    expect(inst.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  }, 20_000);

  it('survives an agent restart: a fresh runtime lists, adopts (state intact) and removes it', async () => {
    const edge = testEdge();
    const first = oci(edge);
    const spec = contractSpec(edge, 'function handle(i, s) { s.n = (s.n || 0) + 1; return s.n; }');
    const inst = await first.start(spec);
    expect((await post(inst.endpoint, '{}')).body).toBe(1);
    const second = oci(edge); // the restarted agent: knows nothing but the engine
    const refs = await second.list();
    expect(refs).toEqual([{ id: inst.id, labels: spec.labels, endpoint: inst.endpoint }]);
    const adopted = await second.adopt(refs[0] as (typeof refs)[0]);
    expect(adopted).toEqual(inst);
    expect((await post(inst.endpoint, '{}')).body).toBe(2);
    await second.remove(refs[0] as (typeof refs)[0]);
    expect(await getStatus(`${inst.endpoint}healthz`)).not.toBe(200);
    expect(await second.list()).toEqual([]);
  }, 20_000);

  it('reports a crash after readiness through onExit and removes the dead container', async () => {
    const edge = testEdge();
    const r = oci(edge);
    const exited = new Promise<{ inst: Instance; info: ExitInfo }>((resolve) => {
      r.onExit = (inst, info) => resolve({ inst, info });
    });
    // Grows its heap until the V8 limit (or the cgroup) ends the process.
    const inst = await r.start(contractSpec(edge, 'function handle() { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }', { res: { cpu: 0, mem: 32 } }));
    await post(inst.endpoint, '{}').catch(() => undefined);
    const { inst: gone, info } = await exited;
    expect(gone.id).toBe(inst.id);
    expect(info.code !== 0 || info.signal !== null).toBe(true);
    expect(await r.list()).toEqual([]);
  }, 20_000);

  it('refuses an image that is not pinned by digest', () => {
    expect(() => new OciRuntime({ docker: ctx().docker, image: 'localhost/simedge-fn:latest', edge: 'edge-x' })).toThrow(TypeError);
  });

  it('the fn image is cached by the hash of its inputs: a second ensure finds it', async () => {
    const again = await ensureFnImage(ctx().docker);
    expect(again).toEqual({ ...image, built: false });
    expect(again.ref).toMatch(/^localhost\/simedge-fn@sha256:[0-9a-f]{64}$/);
  }, 20_000);
});
