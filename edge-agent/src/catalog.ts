// The service catalog: which template services this edge can run, and how. Resolving a
// ServiceSpec yields the runtime that runs it, the instance key (private or shared by class), the
// labelled RunSpec and its digest, or DEPLOY_FAILED saying why not. Only `fn` exists so far.
// Artefact references (`art: {sha256, size, url}`) are fetched through the artefact cache before
// resolving (artefacts/fetch-refs.ts); resolving only looks their bytes up by digest.
import { createHash } from 'node:crypto';
import { MAX_INLINE_ART, SimedgeError, type ServiceSpec } from '@simedge/device-sdk/wire';
import { toHex } from './artefacts/digest.js';
import { instanceKey } from './reconcile/desired.js';
import type { DesiredService } from './reconcile/types.js';
import { LABEL } from './runtime/types.js';

/** Heap reserved for an `fn` whose template gives no res.mem (MB). */
export const FN_DEFAULT_MEM = 32;

/** What a catalog entry decides: the runtime and what it runs. */
interface Resolved {
  runtime: string;
  code: string;
  res: { cpu: number; mem: number };
  /** Digest (hex) of the fetched artefact the code came from. */
  art?: string;
}

/** Bytes of the artefacts fetched for this order, by SHA-256 hex. */
export type Fetched = ReadonlyMap<string, Uint8Array>;

/** Whose service it is: the device's provisioning, its class, and this edge. */
export interface Owner {
  pid: string;
  cls: string;
  edge: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function resolveFn(s: ServiceSpec, fetched: Fetched): Resolved {
  if (s.art === undefined) throw new SimedgeError('DEPLOY_FAILED', 'service fn needs its code in art (inline or a reference)');
  let bytes: Uint8Array;
  let art: string | undefined;
  if (s.art instanceof Uint8Array) {
    if (s.art.length > MAX_INLINE_ART) throw new SimedgeError('DEPLOY_FAILED', `inline art over ${MAX_INLINE_ART} bytes`);
    bytes = s.art;
  } else {
    art = toHex(s.art.sha256);
    const got = fetched.get(art);
    if (got === undefined) throw new SimedgeError('DEPLOY_FAILED', `artefact sha256:${art} was not fetched`);
    bytes = got;
  }
  let code: string;
  try {
    code = utf8.decode(bytes);
  } catch {
    throw new SimedgeError('DEPLOY_FAILED', 'fn art is not UTF-8 text');
  }
  const r: Resolved = { runtime: 'process', code, res: { cpu: s.res?.cpu ?? 0, mem: s.res?.mem ?? FN_DEFAULT_MEM } };
  if (art !== undefined) r.art = art;
  return r;
}

const CATALOG: Record<string, (s: ServiceSpec, fetched: Fetched) => Resolved> = {
  fn: resolveFn,
};

/** Digest of what runs: an instance whose LABEL.spec differs from the desired one is replaced. */
export function specHash(runtime: string, service: string, code: string, res: { cpu: number; mem: number }): string {
  return createHash('sha256').update(JSON.stringify([runtime, service, code, res.cpu, res.mem])).digest('hex').slice(0, 32);
}

/**
 * Resolve one service of a deploy order; throws DEPLOY_FAILED for anything this edge cannot run.
 * `runtime` overrides the entry's default runtime (the agent's `runtime` option); `nth` counts
 * earlier services of the same name in the order.
 */
export function resolveService(owner: Owner, s: ServiceSpec, runtime?: string, nth = 0, fetched: Fetched = new Map()): DesiredService {
  if (!Object.prototype.hasOwnProperty.call(CATALOG, s.n)) throw new SimedgeError('DEPLOY_FAILED', `service ${s.n} not in catalog`);
  const entry = (CATALOG[s.n] as (s: ServiceSpec, f: Fetched) => Resolved)(s, fetched);
  const r = runtime === undefined ? entry : { ...entry, runtime };
  const share = s.share ?? 'device';
  // A template may list one service twice: the later ones get `#<n>` so every instance has its own key.
  const key = instanceKey(share, owner.pid, owner.cls, s.n) + (nth > 0 ? `#${nth}` : '');
  const hash = specHash(r.runtime, s.n, r.code, r.res);
  const labels = { [LABEL.edge]: owner.edge, [LABEL.key]: key, [LABEL.service]: s.n, [LABEL.spec]: hash };
  const pid = share === 'class' ? `class:${owner.cls}` : owner.pid;
  const spec: DesiredService['spec'] = { pid, service: s.n, edge: owner.edge, labels, code: r.code, res: r.res };
  if (r.art !== undefined) spec.art = r.art;
  return { key, share, runtime: r.runtime, hash, spec };
}
