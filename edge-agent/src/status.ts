// The retained edge status (DESIGN.md "Messages": simedge/v1/e/{edge}/status): what the core's
// placement reads. Built from the live instance table every time something changes.
import type { EdgeStatus } from '@simedge/device-sdk/wire';
import type { InstanceTable } from './instances.js';

export interface StatusInput {
  edge: string;
  online: boolean;
  nowMs: number;
  cells: string[];
  cap: { cpu: number; mem: number };
  table: InstanceTable;
}

export function buildStatus(s: StatusInput): EdgeStatus {
  return {
    t: 'status', edge: s.edge, online: s.online, at: Math.floor(s.nowMs), cells: [...s.cells],
    cap: { ...s.cap }, used: s.table.used(), inst: s.table.all().length,
  };
}
