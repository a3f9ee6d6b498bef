// The table of running instances, by provisioning id, with the runtime that owns each one.
// Resource use reported in the edge status is the sum of the instances' reservations.
import type { Instance, Runtime } from './runtime/types.js';

export interface Running {
  inst: Instance;
  runtime: Runtime;
}

export class InstanceTable {
  private readonly byPid = new Map<string, Running[]>();

  add(pid: string, list: Running[]): void {
    if (list.length > 0) this.byPid.set(pid, [...(this.byPid.get(pid) ?? []), ...list]);
  }

  /** Remove and return every instance of `pid`. */
  take(pid: string): Running[] {
    const list = this.byPid.get(pid) ?? [];
    this.byPid.delete(pid);
    return list;
  }

  /** Forget one instance (it ended on its own); false if it was not in the table. */
  drop(inst: Instance): boolean {
    const list = this.byPid.get(inst.pid);
    if (!list) return false;
    const rest = list.filter((r) => r.inst.id !== inst.id);
    if (rest.length === list.length) return false;
    if (rest.length > 0) this.byPid.set(inst.pid, rest);
    else this.byPid.delete(inst.pid);
    return true;
  }

  all(): Running[] {
    return [...this.byPid.values()].flat();
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
    this.byPid.clear();
  }
}
