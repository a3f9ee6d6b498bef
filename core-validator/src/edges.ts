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

export class EdgeTable {
  private readonly edges = new Map<string, EdgeInfo>();

  update(s: EdgeStatus): void {
    // Delivery order wins over `at`: an edge's last will is composed when it connects, so its
    // timestamp is older than the online statuses it replaces.
    this.edges.set(s.edge, { edge: s.edge, online: s.online, cells: [...s.cells], cap: { ...s.cap }, used: { ...s.used }, inst: s.inst, at: s.at });
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
