// The table of running instances, by instance key, with the runtime that owns each one. It is
// the reconciler's "current" (plus what runtimes list at start-up); resource use reported in the
// edge status is the sum of the instances' reservations.
import type { Observed } from './reconcile/types.js';
import type { Instance, Runtime } from './runtime/types.js';

export interface Running {
  /** Instance key (`<pid>/<service>` or `class:<cls>/<service>`). */
  key: string;
  /** LABEL.spec it was started with. */
  hash: string;
  inst: Instance;
  runtime: Runtime;
  /** When it became ready (ms): restart backoff resets after a long enough run. */
  startedAt: number;
  /** Digest (hex) of the artefact its code came from: held in the artefact cache while it runs. */
  art?: string;
}

export class InstanceTable {
  private readonly byKey = new Map<string, Running>();

  set(r: Running): void {
    this.byKey.set(r.key, r);
  }

  get(key: string): Running | undefined {
    return this.byKey.get(key);
  }

  /** Remove and return the entry holding instance `id` (the reconciler stops it). */
  takeById(id: string): Running | undefined {
    for (const [k, r] of this.byKey) {
      if (r.inst.id !== id) continue;
      this.byKey.delete(k);
      return r;
    }
    return undefined;
  }

  /** Forget an instance that ended on its own; undefined if it was not in the table. */
  drop(inst: Instance): Running | undefined {
    return this.takeById(inst.id);
  }

  all(): Running[] {
    return [...this.byKey.values()];
  }

  observed(): Observed[] {
    return this.all().map((r) => ({ key: r.key, runtime: r.runtime.name, hash: r.hash, state: 'running', id: r.inst.id }));
  }

  used(): { cpu: number; mem: number } {
    let cpu = 0;
    let mem = 0;
    for (const r of this.all()) {
      cpu += r.inst.res.cpu;
      mem += r.inst.res.mem;
    }
    // Rounded so float sums like 0.1 + 0.2 do not leak into the status.
    return { cpu: Math.round(cpu * 1000) / 1000, mem };
  }

  clear(): void {
    this.byKey.clear();
  }
}
