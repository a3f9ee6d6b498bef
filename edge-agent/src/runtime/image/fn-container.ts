// How an `fn` RunSpec becomes a container of the fn image, shared by the OCI and Kubernetes
// runtimes so both start the same thing: command line (V8 heap bound), environment (the code),
// the port it serves on, and the cgroup limits derived from res.
import { HEAP_FLOOR_MB } from '../process.js';
import type { RunSpec } from '../types.js';
import { FN_ENTRY } from './build.js';

/** Port the fn host listens on inside its container (env SIMEDGE_FN_PORT of fn-host.mjs). */
export const FN_PORT = 8080;
/**
 * Smallest memory cgroup limit given to a container (MiB). node with the fn host uses ~15 MiB of
 * charged memory when idle (measured under cgroup v1), so a smaller limit would only OOM-kill it
 * on start; reservations below this still get their own V8 heap bound.
 */
export const MEM_FLOOR_MB = 32;
const MIB = 1024 * 1024;

/** Limits applied to the container, from res: what a test reads back from inside the cgroup. */
export interface FnLimits {
  /** memory cgroup limit in bytes (swap is disabled, so this is the real bound). */
  memoryBytes: number;
  /** CPU quota in nano-CPUs (1e9 = one core); 0 means no quota (res.cpu 0). */
  nanoCpus: number;
  /** V8 old-space bound, MiB. */
  heapMb: number;
}

export function fnLimits(res: RunSpec['res']): FnLimits {
  if (!(res.mem >= 0) || !(res.cpu >= 0)) throw new RangeError(`fn: res must be non-negative numbers, got ${JSON.stringify(res)}`);
  const heapMb = Math.max(HEAP_FLOOR_MB, Math.ceil(res.mem));
  return { memoryBytes: Math.max(MEM_FLOOR_MB, Math.ceil(res.mem)) * MIB, nanoCpus: Math.round(res.cpu * 1e9), heapMb };
}

/**
 * Arguments after the image's ENTRYPOINT (/usr/bin/node): the V8 heap bound, and Node's
 * permission model with read access to the host file only (no file system, child processes or
 * workers for the function even if the vm walls fail - fn-host.mjs wall 5).
 */
export function fnArgs(limits: FnLimits): string[] {
  // The permission model's "experimental" warning would otherwise open every stderr tail.
  return [`--max-old-space-size=${limits.heapMb}`, '--disable-warning=ExperimentalWarning', '--experimental-permission', `--allow-fs-read=${FN_ENTRY}`, FN_ENTRY];
}

/**
 * The container's environment, read by fn-host.mjs when it has no IPC channel: the code (base64,
 * so any text survives env and YAML; the host deletes it from its environment on start), listen
 * address and port, call bound. Nothing of the agent's own environment.
 */
export function fnEnv(code: string, callTimeoutMs: number): Record<string, string> {
  return {
    SIMEDGE_FN_SRC: Buffer.from(code, 'utf8').toString('base64'),
    // 0.0.0.0 inside the container's own network namespace: what publishing reaches.
    SIMEDGE_FN_HOST: '0.0.0.0',
    SIMEDGE_FN_PORT: String(FN_PORT),
    SIMEDGE_FN_TIMEOUT_MS: String(callTimeoutMs),
  };
}

/**
 * A DNS-1123 label (lowercase alphanumerics and '-', at most 63, starting and ending
 * alphanumeric) made from `parts`, unique by a suffix: pod, service and container names. The
 * pid is not guaranteed to be name-safe (types.ts), so everything else is replaced. [RFC1123 §2.1]
 */
export function dnsName(parts: string[], suffix: string): string {
  const base = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const tail = `-${suffix.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  const head = base.slice(0, 63 - tail.length).replace(/-$/, '');
  return `${head || 'fn'}${tail}`;
}
