// Placement by tracking area end to end [TS23.003 §19.4.2.3] [TS29.061 §16.4.7.2]: a real
// `radclient` Accounting-Start carries User-Location-Info type 130 (TAI + ECGI); the TAI, named
// '<MCC><MNC>-<TAC>', reaches the attach record, and a placement entry keyed by it places the
// provision. A cell-keyed entry still wins over the TAI (README "Placement").
import { afterEach, describe, expect, it } from 'vitest';
import { IMSI, closeChecked, startWorld, type World } from './harness.js';
import { acctLines, radclient, uliOctets } from './radius-tools.js';

const SECRET = 'tai-secret';
const CELL = '01A2D101';
const TAI = '24001-0A01';

let w: World | undefined;
afterEach(async () => {
  await closeChecked(w);
  w = undefined;
});

/** A core with RADIUS, the given placement entries, and the device attached by Accounting-Start. */
async function attached(cells: Record<string, string>): Promise<World> {
  w = await startWorld({ radius: { secret: SECRET } });
  for (const [loc, edge] of Object.entries(cells)) await w.core.store.setCellEdge(loc, edge);
  const r = await radclient(w.core.radiusPort!, SECRET, acctLines({
    status: 'Start', session: 'pgw-1', imsi: IMSI, ip: '127.100.0.7', plmn: '24001', uli: uliOctets('24001', 0x0a01, 0x01a2d101),
  }));
  expect(r.code).toBe(0);
  return w;
}

describe('placement by TAI from RADIUS accounting', () => {
  it('with only a TAI-keyed entry, the provision is placed on that edge (rule cell-map, loc = the TAI)', async () => {
    const w = await attached({ [TAI]: 'edge-b' });
    const acc = await w.provision('p1');
    expect(acc).toMatchObject({ t: 'acc', edge: 'edge-b' });
    if (acc.t !== 'acc') throw new Error('unreachable');
    expect(await w.edgeB.nextOrder('deploy')).toMatchObject({ pid: acc.pid, edge: 'edge-b', imsi: IMSI });
    expect(await w.core.store.attachOf(IMSI)).toMatchObject({ cell: CELL, tai: TAI });
    expect((await w.core.store.provision(acc.pid))?.placement).toMatchObject({ rule: 'cell-map', loc: TAI });
  });

  it('a cell-keyed entry wins over the TAI', async () => {
    const w = await attached({ [TAI]: 'edge-b', [CELL]: 'edge-a' });
    const acc = await w.provision('p1');
    expect(acc).toMatchObject({ t: 'acc', edge: 'edge-a' });
    if (acc.t !== 'acc') throw new Error('unreachable');
    expect((await w.core.store.provision(acc.pid))?.placement).toMatchObject({ rule: 'cell-map', loc: CELL });
  });
});
