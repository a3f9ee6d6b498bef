// The runtime of an edge by configuration alone (DESIGN.md: "the same components take ... a
// container engine and a Kubernetes cluster by configuration alone"): the agent's `runtime`
// option names one and this builds it, with the fn image found or built (pinned by digest) and,
// for a container engine, the image pruner the artefact cache's gc uses.
import Docker from 'dockerode';
import type { ImagePruner } from '../artefacts/cache.js';
import { ensureFnImage } from './image/build.js';
import { FnImagePruner } from './image/pruner.js';
import { PodmanKubeBackend } from './kube-play.js';
import { ClusterBackend, KubernetesRuntime } from './kubernetes.js';
import { OciRuntime } from './oci.js';
import type { Runtime } from './types.js';

export interface OciConfig {
  /** Docker Engine API socket (Docker, or `podman system service`); default /var/run/docker.sock. */
  socketPath?: string;
}

export type KubernetesConfig =
  | {
      /** kubeconfig file; default the usual lookup (KUBECONFIG, ~/.kube/config, in-cluster). */
      kubeconfig?: string;
      namespace?: string;
      /** The fn image as the cluster's nodes can pull it (registry@sha256:…); default: built locally through `oci`. */
      image?: string;
    }
  | { podmanKubePlay: true; image?: string };

export interface RuntimeConfig {
  edge: string;
  host?: string;
  oci?: OciConfig;
  kubernetes?: KubernetesConfig;
}

export interface Built {
  runtime: Runtime;
  /** Unused fn images for the artefact cache's gc (container engines only). */
  pruner?: ImagePruner;
}

function engine(cfg: RuntimeConfig): Docker {
  return new Docker({ socketPath: cfg.oci?.socketPath ?? '/var/run/docker.sock' });
}

/** Build the `oci` or `kubernetes` runtime named by the configuration. */
export async function buildRuntime(kind: 'oci' | 'kubernetes', cfg: RuntimeConfig): Promise<Built> {
  if (kind === 'oci') {
    const docker = engine(cfg);
    const image = await ensureFnImage(docker);
    const runtime = new OciRuntime({ docker, image: image.ref, edge: cfg.edge, ...(cfg.host !== undefined ? { host: cfg.host } : {}) });
    return { runtime, pruner: new FnImagePruner(docker, image.id) };
  }
  const k = cfg.kubernetes ?? {};
  const image = k.image ?? (await ensureFnImage(engine(cfg))).ref;
  if ('podmanKubePlay' in k) {
    return { runtime: new KubernetesRuntime({ backend: new PodmanKubeBackend(), image, edge: cfg.edge, hostPort: PodmanKubeBackend.hostPort }) };
  }
  const backend = await ClusterBackend.connect({ ...(k.kubeconfig !== undefined ? { kubeconfig: k.kubeconfig } : {}), ...(k.namespace !== undefined ? { namespace: k.namespace } : {}) });
  return { runtime: new KubernetesRuntime({ backend, image, edge: cfg.edge, ...(k.namespace !== undefined ? { namespace: k.namespace } : {}) }) };
}
