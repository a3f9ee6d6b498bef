// From the stored provisions to the instances that should run: every service of every pending or
// ready provision, one instance per key. A shared key (`class:<cls>/<service>`) collects the pids
// of every device using it (its refcount); the newest device's spec is the one that runs.
import type { DesiredInstance, Provision } from './types.js';

/** Provisions whose instances should run. */
export const wantsInstances = (p: Provision): boolean => p.state === 'pending' || p.state === 'ready';

export function desiredInstances(provisions: readonly Provision[]): DesiredInstance[] {
  const byKey = new Map<string, DesiredInstance & { seq: number }>();
  for (const p of provisions) {
    if (!wantsInstances(p)) continue;
    for (const s of p.services) {
      const have = byKey.get(s.key);
      if (!have) {
        byKey.set(s.key, { key: s.key, runtime: s.runtime, hash: s.hash, spec: s.spec, share: s.share, refs: [p.pid], seq: p.seq });
        continue;
      }
      if (!have.refs.includes(p.pid)) have.refs.push(p.pid);
      if (p.seq > have.seq) Object.assign(have, { runtime: s.runtime, hash: s.hash, spec: s.spec, seq: p.seq });
    }
  }
  return [...byKey.values()].map(({ seq: _seq, ...d }) => ({ ...d, refs: [...d.refs].sort() }));
}

/** Keys of the instances private to one provision (gone before `removed`/`fail` is answered). */
export const privateKeys = (p: Provision): string[] => p.services.filter((s) => s.share === 'device').map((s) => s.key);

/** The instance key of a service: per device, or per class for a shared one. */
export function instanceKey(share: 'device' | 'class', pid: string, cls: string, service: string): string {
  return share === 'class' ? `class:${cls}/${service}` : `${pid}/${service}`;
}
