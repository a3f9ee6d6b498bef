// Charging records [issue 4 item 4]: one record per service of a provision on an edge, opened
// when the edge reports it ready (COMPLETED) and closed when it is removed. Exported as CSV
// [RFC4180]: CRLF line ends, a header line, fields holding a comma, quote, CR or LF quoted with
// inner quotes doubled. Times are ISO 8601 UTC; an open record has an empty stop.
import type { ChargingRecord, CoreStore, ProvisionRecord } from './store/types.js';

export const CHARGING_COLUMNS = ['imsi', 'pid', 'service', 'edge', 'start', 'stop', 'seconds'] as const;

/** [RFC4180 §2 (6), (7)] */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly ChargingRecord[]): string {
  const lines = [CHARGING_COLUMNS.join(',')];
  for (const r of rows) {
    const seconds = r.stop === undefined ? '' : String(Math.max(0, Math.round((r.stop - r.start) / 1000)));
    lines.push([r.imsi, r.pid, r.service, r.edge, new Date(r.start).toISOString(), r.stop === undefined ? '' : new Date(r.stop).toISOString(), seconds]
      .map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Records overlapping [from, to) (ms since the epoch) as CSV. */
export async function chargingCsv(store: CoreStore, from?: number, to?: number): Promise<string> {
  const range: { from?: number; to?: number } = {};
  if (from !== undefined) range.from = from;
  if (to !== undefined) range.to = to;
  return toCsv(await store.charging(range));
}

/** The provision is COMPLETED: open one record per service (idempotent per pid and service).
 *  `store` is the caller's transaction when it has one. */
export async function openCharging(store: CoreStore, p: ProvisionRecord, at: number): Promise<void> {
  const names = p.services?.length ? p.services : [p.tid];
  await store.openCharging([...new Set(names)].map((service) => ({ imsi: p.imsi, pid: p.pid, service, edge: p.edge, start: at })));
}
