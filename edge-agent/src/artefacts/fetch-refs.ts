// The deploy side of the artefact cache: fetch every artefact reference of an order (each digest
// once) before the order is accepted, so what the desired state records is code that was
// verified against its SHA-256. Any ARTEFACT_* failure becomes DEPLOY_FAILED naming its code and
// cause (the core's operation ends with the reason, not at its deadline).
import { isSimedgeError, SimedgeError, type ArtefactRef, type ServiceSpec } from '@simedge/device-sdk/wire';
import type { ArtefactCache } from './cache.js';
import { toHex } from './digest.js';

function isRef(art: ServiceSpec['art']): art is ArtefactRef {
  return art !== undefined && !(art instanceof Uint8Array);
}

/** Bytes of every referenced artefact of `svc`, by SHA-256 hex; throws DEPLOY_FAILED with the cause. */
export async function fetchRefs(cache: ArtefactCache, svc: readonly ServiceSpec[]): Promise<Map<string, Uint8Array>> {
  const refs = new Map<string, ArtefactRef>();
  for (const s of svc) {
    if (!isRef(s.art)) continue;
    try {
      refs.set(toHex(s.art.sha256), s.art);
    } catch (e) {
      throw new SimedgeError('DEPLOY_FAILED', `artefact reference of ${s.n}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const out = new Map<string, Uint8Array>();
  await Promise.all([...refs].map(async ([hex, ref]) => {
    try {
      out.set(hex, (await cache.ensure(ref)).bytes);
    } catch (e) {
      if (isSimedgeError(e)) throw new SimedgeError('DEPLOY_FAILED', `${e.code}: ${e.detail ?? e.message}`);
      throw new SimedgeError('DEPLOY_FAILED', `artefact sha256:${hex}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }));
  return out;
}
