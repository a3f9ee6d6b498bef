// A KubeBackend for one box without a cluster: the generated manifests go to `podman kube play`
// (Podman's own reading of Pod/Service YAML), the fn port is published on 127.0.0.1 through the
// pod's hostPort, readiness is GET /healthz through it. Tests use it to prove the manifests are
// valid Kubernetes that starts. Needs the podman CLI and `catatonit` (the pod's infra process).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { LABEL } from './types.js';
import type { ExitInfo } from './types.js';
import type { KubeBackend, KubePod } from './kubernetes.js';
import { manifestYaml } from './kube-manifest.js';
import { waitHealthy } from './wait-healthy.js';

const run = promisify(execFile);

/** A free TCP port on `ip` (the OS picks it; podman binds it right after). */
export function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, ip, () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function podman(args: string[]): Promise<string> {
  try {
    return (await run('podman', args, { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 })).stdout;
  } catch (e) {
    const err = e as { code?: unknown; stderr?: string; message: string };
    if (err.code === 'ENOENT') throw new Error('podman is not installed (needed by the kube-play backend)');
    throw new Error(`podman ${args[0]} ${args[1] ?? ''}: ${err.stderr?.trim() || err.message}`);
  }
}

export class PodmanKubeBackend implements KubeBackend {
  /** Manifest files by pod name (kept for `podman kube down`-style inspection; removed on delete). */
  private readonly dirs = new Map<string, string>();

  /** For KubernetesRuntimeOptions.hostPort: publish each pod on a fresh loopback port. */
  static readonly hostPort = async () => ({ port: await freePort(), ip: '127.0.0.1' });

  async apply(pod: V1Pod, service: V1Service): Promise<string> {
    const name = pod.metadata?.name ?? '';
    const port = pod.spec?.containers[0]?.ports?.[0];
    if (!port?.hostPort) throw new TypeError('PodmanKubeBackend needs a hostPort in the manifest (KubernetesRuntimeOptions.hostPort)');
    const dir = await mkdtemp(join(tmpdir(), 'simedge-kube-'));
    this.dirs.set(name, dir);
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, manifestYaml({ pod, service }), { mode: 0o600 });
    await podman(['kube', 'play', file]);
    return `http://${port.hostIP ?? '127.0.0.1'}:${port.hostPort}/`;
  }

  ready(_name: string, endpoint: string, timeoutMs: number, gone: Promise<never>): Promise<void> {
    return waitHealthy(`${endpoint}healthz`, timeoutMs, gone);
  }

  async exited(name: string): Promise<ExitInfo> {
    const ctr = `${name}-fn`;
    let code: number | null = null;
    try {
      const out = (await podman(['wait', ctr])).trim();
      code = /^-?\d+$/.test(out) ? Number(out) : null;
    } catch {
      return { code: null, signal: null, stderr: 'pod gone' };
    }
    let stderr = '';
    try {
      stderr = (await run('podman', ['logs', '--tail', '50', ctr], { timeout: 10_000 })).stderr.slice(-2048).trim();
    } catch {
      // Removed meanwhile.
    }
    return code !== null && code > 128 ? { code: null, signal: `signal ${code - 128}`, stderr } : { code, signal: null, stderr };
  }

  async delete(name: string): Promise<void> {
    try {
      await podman(['pod', 'rm', '--force', '--time', '2', name]);
    } catch (e) {
      if (!/no pod with name or ID|no such pod/i.test((e as Error).message)) throw e;
    }
    const dir = this.dirs.get(name);
    this.dirs.delete(name);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  async list(edge: string): Promise<KubePod[]> {
    const pods = JSON.parse((await podman(['pod', 'ps', '--filter', `label=${LABEL.edge}=${edge}`, '--format', 'json'])) || '[]') as Array<{ Name: string; Status: string }>;
    const out: KubePod[] = [];
    for (const p of pods) {
      let info: Array<{ Config?: { Annotations?: Record<string, string> }; State?: { Running?: boolean }; NetworkSettings?: { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> } }>;
      try {
        info = JSON.parse(await podman(['container', 'inspect', `${p.Name}-fn`])) as typeof info;
      } catch {
        continue; // removed between the two calls
      }
      const c = info[0];
      // In a pod the bindings belong to the infra container; inspect shows them on every member.
      const b = c?.NetworkSettings?.Ports?.['8080/tcp']?.[0];
      const pod: KubePod = { name: p.Name, annotations: c?.Config?.Annotations ?? {}, running: c?.State?.Running === true };
      if (b?.HostPort) pod.endpoint = `http://${b.HostIp || '127.0.0.1'}:${b.HostPort}/`;
      out.push(pod);
    }
    return out;
  }
}
