// Placement as a pure function [issue 4 item 3]: cell/TAI map first, then online edges that list
// the cell in their retained status, then the configured cost table; health and capacity from the
// status; the decision says which rule matched and which edges were passed over and why.
import { describe, expect, it } from 'vitest';
import { fits, needOf, place, preferredEdge, type EdgeInfo, type PlacementInput } from '../src/index.js';

const edge = (id: string, o: Partial<EdgeInfo> = {}): EdgeInfo => ({
  edge: id, online: true, cells: [], cap: { cpu: 4, mem: 1024 }, used: { cpu: 0, mem: 0 }, inst: 0, at: 0, ...o,
});

function input(o: Partial<PlacementInput> & { map?: Record<string, string>; costTable?: Record<string, Record<string, number>> }): PlacementInput {
  const map = o.map ?? {};
  const costTable = o.costTable ?? {};
  return {
    loc: o.loc ?? ['cell-1'],
    need: o.need ?? { cpu: 0.5, mem: 128 },
    mapped: o.mapped ?? ((l) => map[l]),
    costs: o.costs ?? ((l) => Object.entries(costTable[l] ?? {}).map(([e, cost]) => ({ edge: e, cost }))),
    edges: o.edges ?? [],
  };
}

describe('place()', () => {
  it('the cell map wins when its edge is online and has room', () => {
    const r = place(input({ map: { 'cell-1': 'a' }, edges: [edge('a'), edge('b', { cells: ['cell-1'] })], costTable: { 'cell-1': { b: 1 } } }));
    expect(r).toMatchObject({ ok: true, edge: 'a', record: { rule: 'cell-map', loc: 'cell-1', skipped: [], reason: 'cell-map cell-1 -> a' } });
  });

  it('the cell is tried before the TAI', () => {
    const r = place(input({ loc: ['cell-1', 'tai-9'], map: { 'tai-9': 't', 'cell-1': 'c' }, edges: [edge('t'), edge('c')] }));
    expect(r).toMatchObject({ ok: true, edge: 'c' });
    const r2 = place(input({ loc: ['cell-2', 'tai-9'], map: { 'tai-9': 't' }, edges: [edge('t')] }));
    expect(r2).toMatchObject({ ok: true, edge: 't', record: { rule: 'cell-map', loc: 'tai-9' } });
  });

  it('an offline mapped edge falls back to an online edge whose status lists the cell, cheapest first', () => {
    const r = place(input({
      map: { 'cell-1': 'a' },
      edges: [edge('a', { online: false }), edge('c', { cells: ['cell-1'] }), edge('b', { cells: ['cell-1'] })],
      costTable: { 'cell-1': { c: 2, b: 5 } },
    }));
    expect(r).toMatchObject({ ok: true, edge: 'c', record: { rule: 'serving-cell', cost: 2, skipped: [{ edge: 'a', why: 'offline' }] } });
    if (r.ok) expect(r.record.reason).toBe('serving-cell cell-1 -> c (cost 2); passed over a offline');
  });

  it('serving edges without costs are ordered by id (deterministic)', () => {
    const r = place(input({ edges: [edge('z', { cells: ['cell-1'] }), edge('m', { cells: ['cell-1'] })] }));
    expect(r).toMatchObject({ ok: true, edge: 'm', record: { rule: 'serving-cell' } });
  });

  it('a full edge is passed over for the nearest by configured cost', () => {
    const r = place(input({
      map: { 'cell-1': 'a' },
      edges: [edge('a', { used: { cpu: 3.8, mem: 0 } }), edge('far', {}), edge('near', {})],
      costTable: { 'cell-1': { far: 30, near: 7 } },
    }));
    expect(r).toMatchObject({ ok: true, edge: 'near', record: { rule: 'cost', cost: 7, skipped: [{ edge: 'a', why: 'no-capacity' }] } });
  });

  it('edges that never published a status are unknown, not online', () => {
    const r = place(input({ map: { 'cell-1': 'ghost' }, costTable: { 'cell-1': { b: 1 } }, edges: [edge('b')] }));
    expect(r).toMatchObject({ ok: true, edge: 'b', record: { skipped: [{ edge: 'ghost', why: 'unknown' }] } });
  });

  it('NO_CAPACITY when a candidate is up but too small; NO_EDGE when none is up or none is known', () => {
    expect(place(input({ map: { 'cell-1': 'a' }, edges: [edge('a', { used: { cpu: 0, mem: 1000 } })] })))
      .toMatchObject({ ok: false, code: 'NO_CAPACITY', skipped: [{ edge: 'a', why: 'no-capacity' }] });
    expect(place(input({ map: { 'cell-1': 'a' }, edges: [edge('a', { online: false })] })))
      .toMatchObject({ ok: false, code: 'NO_EDGE', skipped: [{ edge: 'a', why: 'offline' }] });
    expect(place(input({ edges: [edge('a')] }))).toMatchObject({ ok: false, code: 'NO_EDGE', reason: 'no edge for cell-1', skipped: [] });
  });

  it('an offline edge listing the cell is not a candidate; each edge is considered once', () => {
    const r = place(input({
      map: { 'cell-1': 'a' }, edges: [edge('a', { online: false, cells: ['cell-1'] })], costTable: { 'cell-1': { a: 1 } },
    }));
    expect(r).toMatchObject({ ok: false, code: 'NO_EDGE', skipped: [{ edge: 'a', why: 'offline' }] });
  });
});

describe('preferredEdge() (roaming detection)', () => {
  it('names the first table candidate whatever its health or load', () => {
    expect(preferredEdge(input({ map: { 'cell-1': 'a' }, edges: [edge('a', { online: false })] }))).toBe('a');
    expect(preferredEdge(input({ map: { 'cell-1': 'ghost' } }))).toBe('ghost');
    expect(preferredEdge(input({ edges: [edge('s', { online: false, cells: ['cell-1'] })], costTable: { 'cell-1': { c: 1 } } }))).toBe('s');
    expect(preferredEdge(input({ costTable: { 'cell-1': { far: 9, near: 1 } } }))).toBe('near');
    expect(preferredEdge(input({ edges: [edge('a')] }))).toBeUndefined();
  });
});

describe('needOf() and fits()', () => {
  it('sums cpu and memory over the services; absent = 0', () => {
    expect(needOf([{ res: { cpu: 0.1, mem: 32 } }, { res: { mem: 16 } }, {}])).toEqual({ cpu: 0.1, mem: 48 });
  });
  it('free = cap - used, with float slack for fractional CPU', () => {
    const e = edge('a', { cap: { cpu: 0.3, mem: 64 }, used: { cpu: 0.1, mem: 32 } });
    expect(fits(e, { cpu: 0.2, mem: 32 })).toBe(true);
    expect(fits(e, { cpu: 0.1 + 0.1 + 0.01, mem: 32 })).toBe(false);
    expect(fits(e, { cpu: 0, mem: 33 })).toBe(false);
  });
});
