// Edge placement [issue 4 item 3; patent FIG. 2 step 204]: pure, so it is unit-tested without a
// broker. Candidates, in order of preference:
//   1. cell-map      the operator's cell/TAI -> edge table (cell first, then TAI);
//   2. serving-cell  online edges whose retained status lists the cell/TAI (nearest by cost, then id);
//   3. cost          the configured cost table for the cell/TAI, cheapest first (nearest fallback).
// The first candidate that is online (its retained status; last will = offline) and has the free
// capacity (status cap - used) the template's services ask for wins. Every candidate passed over is
// recorded with why, so the decision can be explained later.
import type { EdgeInfo } from './edges.js';
import type { PlacementRecord } from './store/types.js';

export interface Need { cpu: number; mem: number }

export interface PlacementInput {
  /** Location keys of the attach, most specific first: the cell, then the TAI if known. */
  loc: string[];
  need: Need;
  /** The cell/TAI table: edge for a location key, if any. */
  mapped(loc: string): string | undefined;
  /** The cost table: edges that may serve a location key, with their cost. */
  costs(loc: string): { edge: string; cost: number }[];
  edges: readonly EdgeInfo[];
}

export type PlacementResult =
  | { ok: true; edge: string; record: PlacementRecord }
  | { ok: false; code: 'NO_EDGE' | 'NO_CAPACITY'; reason: string; skipped: PlacementRecord['skipped'] };

/** Total resources a template's services ask for (absent = 0). */
export function needOf(svc: readonly { res?: { cpu?: number; mem?: number } }[]): Need {
  let cpu = 0;
  let mem = 0;
  for (const s of svc) {
    cpu += s.res?.cpu ?? 0;
    mem += s.res?.mem ?? 0;
  }
  return { cpu, mem };
}

// CPU shares are fractions; compare with a little slack so 0.1 + 0.2 fits in 0.3.
const EPS = 1e-9;

export function fits(e: EdgeInfo, need: Need): boolean {
  return e.cap.cpu - e.used.cpu + EPS >= need.cpu && e.cap.mem - e.used.mem + EPS >= need.mem;
}

interface Candidate { edge: string; rule: PlacementRecord['rule']; loc: string; cost?: number }

function candidates(inp: Omit<PlacementInput, 'need'>, anyState = false): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (c: Candidate) => {
    if (seen.has(c.edge)) return;
    seen.add(c.edge);
    out.push(c);
  };
  for (const loc of inp.loc) {
    const e = inp.mapped(loc);
    if (e !== undefined) add({ edge: e, rule: 'cell-map', loc });
  }
  for (const loc of inp.loc) {
    const cost = new Map(inp.costs(loc).map((c) => [c.edge, c.cost]));
    const serving = inp.edges.filter((e) => (anyState || e.online) && e.cells.includes(loc))
      .sort((a, b) => (cost.get(a.edge) ?? Infinity) - (cost.get(b.edge) ?? Infinity) || (a.edge < b.edge ? -1 : a.edge > b.edge ? 1 : 0));
    for (const e of serving) add({ edge: e.edge, rule: 'serving-cell', loc, ...(cost.has(e.edge) && { cost: cost.get(e.edge) }) });
  }
  for (const loc of inp.loc) {
    const byCost = [...inp.costs(loc)].sort((a, b) => a.cost - b.cost || (a.edge < b.edge ? -1 : a.edge > b.edge ? 1 : 0));
    for (const c of byCost) add({ edge: c.edge, rule: 'cost', loc, cost: c.cost });
  }
  return out;
}

function describe(c: Candidate): string {
  return `${c.rule} ${c.loc} -> ${c.edge}${c.cost !== undefined ? ` (cost ${c.cost})` : ''}`;
}

/** The edge the tables name first for a location, whatever its health or load: where the device
 *  "belongs" now (roaming detection), as opposed to where it can be placed right now. */
export function preferredEdge(inp: Omit<PlacementInput, 'need'>): string | undefined {
  return candidates(inp, true)[0]?.edge;
}

export function place(inp: PlacementInput): PlacementResult {
  const byId = new Map(inp.edges.map((e) => [e.edge, e]));
  const skipped: PlacementRecord['skipped'] = [];
  for (const c of candidates(inp)) {
    const e = byId.get(c.edge);
    if (!e) skipped.push({ edge: c.edge, why: 'unknown' });
    else if (!e.online) skipped.push({ edge: c.edge, why: 'offline' });
    else if (!fits(e, inp.need)) skipped.push({ edge: c.edge, why: 'no-capacity' });
    else {
      const passed = skipped.map((s) => `${s.edge} ${s.why}`).join(', ');
      const record: PlacementRecord = { rule: c.rule, loc: c.loc, skipped, reason: describe(c) + (passed ? `; passed over ${passed}` : '') };
      if (c.cost !== undefined) record.cost = c.cost;
      return { ok: true, edge: c.edge, record };
    }
  }
  const where = inp.loc.join('/');
  if (skipped.some((s) => s.why === 'no-capacity')) {
    return { ok: false, code: 'NO_CAPACITY', skipped, reason: `${where}: need cpu ${inp.need.cpu} mem ${inp.need.mem}; ${skipped.map((s) => `${s.edge} ${s.why}`).join(', ')}` };
  }
  return { ok: false, code: 'NO_EDGE', skipped, reason: skipped.length ? `${where}: ${skipped.map((s) => `${s.edge} ${s.why}`).join(', ')}` : `no edge for ${where}` };
}
