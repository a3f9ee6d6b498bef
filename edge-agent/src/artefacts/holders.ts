// Who holds which artefact, kept in step with the agent's state: every desired instance and every
// running one (a replaced or shared instance in its grace time still runs its old code) holds the
// artefact its code came from, under its instance key. The holders live in memory, so sync() runs
// after every change of the instance table and before every gc(): after a restart the adopted
// instances are re-referenced before anything can be collected.
import type { ArtefactCache } from './cache.js';

/** One holding: instance key and artefact digest (hex). */
export interface Holding {
  key: string;
  art: string;
}

export class ArtefactHolders {
  /** `<hex> <key>` of every reference this object has made. */
  private readonly held = new Set<string>();

  constructor(private readonly cache: ArtefactCache) {}

  /** Make the cache's references exactly `holdings` (idempotent; cheap when nothing changed). */
  sync(holdings: Iterable<Holding>): void {
    const want = new Set<string>();
    for (const h of holdings) want.add(`${h.art} ${h.key}`);
    for (const x of this.held) {
      if (want.has(x)) continue;
      const [hex = '', key = ''] = split(x);
      this.cache.unref(hex, key);
      this.held.delete(x);
    }
    for (const x of want) {
      if (this.held.has(x)) continue;
      const [hex = '', key = ''] = split(x);
      this.cache.ref(hex, key);
      this.held.add(x);
    }
  }
}

function split(x: string): [string, string] {
  const i = x.indexOf(' ');
  return [x.slice(0, i), x.slice(i + 1)];
}
