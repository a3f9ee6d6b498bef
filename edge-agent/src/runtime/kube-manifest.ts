// Pod and Service manifests for one `fn` instance, typed with @kubernetes/client-node's models
// (type-only import: the models are plain data, and the package's runtime needs Node >= 22, see
// kubernetes.ts). The same container as the OCI runtime (image/fn-container.ts): pinned image,
// V8 heap bound, code in the environment, limits from res, non-root, read-only root fs.
// Kubernetes label values hold at most 63 chars of [A-Za-z0-9_.-], so the RunSpec's labels travel
// verbatim as annotations and the pod is selected by simedge.edge (types.ts).
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { FN_PORT, fnArgs, fnEnv, fnLimits } from './image/fn-container.js';
import { LABEL, type RunSpec } from './types.js';

/** Annotations this runtime writes; the label ones are what list() returns. */
export const ANNOTATION = {
  /** Prefix of one annotation per RunSpec label: `simedge.dev/label.<i>.<part>.<key>`. */
  label: 'simedge.dev/label.',
  pid: 'simedge.dev/pid',
  service: 'simedge.dev/service',
  res: 'simedge.dev/res',
} as const;
/** Pod label that ties a pod to its Service (the pod name itself). */
export const INSTANCE_LABEL = 'simedge.instance';

export interface FnManifestOptions {
  /** Pod and Service name: a DNS-1123 label (dnsName()). */
  name: string;
  namespace: string;
  /** Pinned image reference (repo@sha256:…). */
  image: string;
  callTimeoutMs: number;
  /** Publish the fn port on this node port of hostIP (single-node setups such as `podman kube play`). */
  hostPort?: { port: number; ip: string };
}

/**
 * Podman 4.3's kube play wrongly holds annotation values to the 63-char label limit (Kubernetes
 * allows 256 KiB in all), so each label is stored in ≤ 63-char parts: key `label.<n>.<part>.<k>`.
 */
const PART = 63;

export function labelAnnotations(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  Object.entries(labels).forEach(([k, v], n) => {
    const parts = v.length === 0 ? [''] : (v.match(new RegExp(`[\\s\\S]{1,${PART}}`, 'g')) ?? []);
    parts.forEach((p, i) => (out[`${ANNOTATION.label}${n}.${i}.${k}`] = p));
  });
  return out;
}

export function labelsFromAnnotations(a: Record<string, string>): Record<string, string> {
  const parts: Array<{ n: number; i: number; k: string; v: string }> = [];
  for (const [key, v] of Object.entries(a)) {
    if (!key.startsWith(ANNOTATION.label)) continue;
    const m = /^(\d+)\.(\d+)\.(.+)$/.exec(key.slice(ANNOTATION.label.length));
    if (m) parts.push({ n: Number(m[1]), i: Number(m[2]), k: m[3] as string, v });
  }
  parts.sort((x, y) => x.n - y.n || x.i - y.i);
  const out: Record<string, string> = {};
  for (const p of parts) out[p.k] = (out[p.k] ?? '') + p.v;
  return out;
}

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

export function fnManifests(spec: RunSpec, o: FnManifestOptions): { pod: V1Pod; service: V1Service } {
  if (!LABEL_VALUE.test(spec.edge)) throw new RangeError(`edge id cannot be a Kubernetes label value: ${spec.edge}`);
  const limits = fnLimits(spec.res);
  const labels = { [LABEL.edge]: spec.edge, [INSTANCE_LABEL]: o.name };
  const annotations = {
    ...labelAnnotations({ [LABEL.edge]: spec.edge, ...spec.labels }),
    [ANNOTATION.pid]: spec.pid,
    [ANNOTATION.service]: spec.service,
    [ANNOTATION.res]: JSON.stringify(spec.res),
  };
  const quantities: Record<string, string> = { memory: String(limits.memoryBytes) };
  // cpu 0 reserves nothing and sets no quota (as NanoCpus 0 does for OCI).
  if (limits.nanoCpus > 0) quantities.cpu = `${Math.max(1, Math.round(limits.nanoCpus / 1e6))}m`;
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, labels, annotations },
    spec: {
      // The agent's reconciler owns restarts (with backoff) and must see every exit.
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'fn',
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          args: fnArgs(limits),
          env: Object.entries(fnEnv(spec.code, o.callTimeoutMs)).map(([name, value]) => ({ name, value })),
          ports: [{ name: 'http', containerPort: FN_PORT, protocol: 'TCP', ...(o.hostPort ? { hostPort: o.hostPort.port, hostIP: o.hostPort.ip } : {}) }],
          resources: { limits: quantities, requests: quantities },
          readinessProbe: { httpGet: { path: '/healthz', port: FN_PORT }, periodSeconds: 1, failureThreshold: 3 },
          securityContext: { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, namespace: o.namespace, labels, annotations: labelAnnotations({ [LABEL.edge]: spec.edge, ...spec.labels }) },
    spec: { type: 'ClusterIP', selector: { [INSTANCE_LABEL]: o.name }, ports: [{ name: 'http', port: FN_PORT, targetPort: 'http', protocol: 'TCP' }] },
  };
  return { pod, service };
}

/** Both manifests as one multi-document YAML stream (JSON documents are YAML 1.2). */
export function manifestYaml(m: { pod: V1Pod; service: V1Service }): string {
  return `${JSON.stringify(m.pod, null, 1)}\n---\n${JSON.stringify(m.service, null, 1)}\n`;
}
