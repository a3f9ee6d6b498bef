// In-memory table of edges, fed by their retained status messages (last will = offline).
// Not persisted: the broker replays every retained status when the core subscribes.
import type { EdgeStatus } from '@simedge/device-sdk/wire';

export interface EdgeInfo {
  edge: string;
  online: boolean;
  /** Cells the edge says it serves (placement fallback when the cell table has no entry). */
  cells: string[];
  cap: { cpu: number; mem: number };
  used: { cpu: number; mem: number };
  inst: number;
  /** The status message's own timestamp (ms). */
  at: number;
}

/** What a deploy asks of an edge: its private services, and each class-shared service once per
 *  (class, service) on the edge however many of the class's devices are in flight. */
export interface HoldNeed { cpu: number; mem: number; shared: { key: string; cpu: number; mem: number }[] }

/** Resources this core has ordered on an edge that its status may not show yet. */
interface Hold { edge: string; need: HoldNeed; created: number; ready: boolean }

export class EdgeTable {
  private readonly edges = new Map<string, EdgeInfo>();
  /** In-flight deploys by pid (this process's; see holdFor). */
  private readonly holds = new Map<string, Hold>();
  /** Sum of the holds per edge (shared services counted once). */
  private readonly held = new Map<string, { cpu: number; mem: number }>();
  /** Holders per edge + shared service key. */
  private readonly sharers = new Map<string, number>();

  update(s: EdgeStatus): void {
    // Delivery order wins over `at`: an edge's last will is composed when it connects, so its
    // timestamp is older than the online statuses it replaces.
    this.edges.set(s.edge, { edge: s.edge, online: s.online, cells: [...s.cells], cap: { ...s.cap }, used: { ...s.used }, inst: s.inst, at: s.at });
    // A ready deploy created before this status is in its `used` now (the edge publishes its status
    // after starting an instance and before saying ready): stop counting it twice.
    for (const [pid, h] of this.holds) if (h.edge === s.edge && h.ready && h.created <= s.at) this.release(pid);
  }

  /**
   * Capacity ordered but not yet in the edge's retained status [issue 4 item 3]: a burst of
   * provisions for one cell would otherwise all pass on the same status and overbook the edge.
   * A deploy is held from its order until it fails or is removed, or - once ready - until a status
   * newer than its creation arrives. O(services) per deploy. Per process: cores sharing a database
   * each hold their own deploys only (README "Placement").
   */
  holdFor(pid: string, edge: string, need: HoldNeed, created: number): void {
    if (this.holds.has(pid)) return;
    this.holds.set(pid, { edge, need, created, ready: false });
    let cpu = need.cpu;
    let mem = need.mem;
    for (const s of need.shared) {
      const k = `${edge}\u0000${s.key}`;
      const n = this.sharers.get(k) ?? 0;
      this.sharers.set(k, n + 1);
      if (n === 0) { cpu += s.cpu; mem += s.mem; }
    }
    this.add(edge, cpu, mem);
  }

  /** The deploy is ready: held until a status newer than its creation (update). */
  readyFor(pid: string): void {
    const h = this.holds.get(pid);
    if (h) h.ready = true;
  }

  /** The deploy failed or is being removed: nothing held any more. */
  release(pid: string): void {
    const h = this.holds.get(pid);
    if (!h) return;
    this.holds.delete(pid);
    let cpu = h.need.cpu;
    let mem = h.need.mem;
    for (const s of h.need.shared) {
      const k = `${h.edge}\u0000${s.key}`;
      const n = (this.sharers.get(k) ?? 1) - 1;
      if (n > 0) this.sharers.set(k, n);
      else { this.sharers.delete(k); cpu += s.cpu; mem += s.mem; }
    }
    this.add(h.edge, -cpu, -mem);
  }

  private add(edge: string, cpu: number, mem: number): void {
    const t = this.held.get(edge) ?? { cpu: 0, mem: 0 };
    const next = { cpu: t.cpu + cpu, mem: t.mem + mem };
    if (next.cpu <= 1e-9 && next.mem <= 1e-9) this.held.delete(edge);
    else this.held.set(edge, next);
  }

  /** The edges as placement sees them: `used` includes what this core holds on each. */
  forPlacement(): EdgeInfo[] {
    return [...this.edges.values()].map((e) => {
      const h = this.held.get(e.edge);
      return h ? { ...e, used: { cpu: e.used.cpu + h.cpu, mem: e.used.mem + h.mem } } : e;
    });
  }

  get(edge: string): EdgeInfo | undefined {
    return this.edges.get(edge);
  }

  isOnline(edge: string): boolean {
    return this.edges.get(edge)?.online === true;
  }

  /** An online edge that advertises `cell`, if any (first by id, so placement is deterministic). */
  servingCell(cell: string): string | undefined {
    const ids = [...this.edges.keys()].sort();
    return ids.find((id) => {
      const e = this.edges.get(id);
      return e !== undefined && e.online && e.cells.includes(cell);
    });
  }

  list(): EdgeInfo[] {
    return [...this.edges.values()];
  }
}
