// The service catalog: which template services this edge can run, and how. Resolving a
// ServiceSpec yields the runtime that runs it and the RunSpec it needs, or DEPLOY_FAILED saying
// why not. Only `fn` exists in this issue; onem2m-cse and artefact downloads come later.
import { MAX_INLINE_ART, SimedgeError, type ServiceSpec } from '@simedge/device-sdk/wire';
import type { RunSpec } from './runtime/types.js';

/** Heap reserved for an `fn` whose template gives no res.mem (MB). */
export const FN_DEFAULT_MEM = 32;

export interface Resolved {
  /** Name of the runtime that runs it (key into the agent's runtime table). */
  runtime: string;
  spec: RunSpec;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function resolveFn(pid: string, s: ServiceSpec): Resolved {
  if (s.art === undefined) throw new SimedgeError('DEPLOY_FAILED', 'service fn needs inline code in art');
  if (!(s.art instanceof Uint8Array)) throw new SimedgeError('DEPLOY_FAILED', 'artefact download not supported yet');
  if (s.art.length > MAX_INLINE_ART) throw new SimedgeError('DEPLOY_FAILED', `inline art over ${MAX_INLINE_ART} bytes`);
  let code: string;
  try {
    code = utf8.decode(s.art);
  } catch {
    throw new SimedgeError('DEPLOY_FAILED', 'fn art is not UTF-8 text');
  }
  return { runtime: 'process', spec: { pid, service: 'fn', code, res: { cpu: s.res?.cpu ?? 0, mem: s.res?.mem ?? FN_DEFAULT_MEM } } };
}

const CATALOG: Record<string, (pid: string, s: ServiceSpec) => Resolved> = {
  fn: resolveFn,
};

/** Resolve one service of a deploy order; throws DEPLOY_FAILED for anything this edge cannot run. */
export function resolveService(pid: string, s: ServiceSpec): Resolved {
  if (!Object.prototype.hasOwnProperty.call(CATALOG, s.n)) throw new SimedgeError('DEPLOY_FAILED', `service ${s.n} not in catalog`);
  return (CATALOG[s.n] as (pid: string, s: ServiceSpec) => Resolved)(pid, s);
}
