// The store's second migration [src/store/schema.ts]: a file written by the first schema opens,
// is upgraded in place, keeps its rows, and takes the new records (plans, SIM keys, costs,
// anti-rollback, orders with their bytes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/index.js';
import { MIGRATIONS } from '../src/store/schema.js';
import { openDatabase } from '../src/store/sqlite-driver.js';
import { IMSI } from './harness.js';
import { newSim } from './pipeline-tools.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('schema upgrade v1 -> v2', () => {
  it('keeps v1 rows and stores the new fields', async () => {
    const d = mkdtempSync(join(tmpdir(), 'simedge-store-'));
    dirs.push(d);
    const path = join(d, 'core.db');
    const v1 = openDatabase(path);
    v1.exec(MIGRATIONS[0] as string);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO subscribers (imsi, iccid) VALUES (?, ?)').run(IMSI, '894601');
    v1.prepare(`INSERT INTO provisions (pid, imsi, edge, state, tid, cls, rid, oid, created, updated) VALUES ('p-1', ?, 'e', 'COMPLETED', 't', 'c', 'r', 'o', 1, 1)`).run(IMSI);
    v1.close();

    const s = new SqliteStore(path);
    expect(await s.subscriber(IMSI)).toEqual({ imsi: IMSI, iccid: '894601', status: 'active' });
    expect(await s.provision('p-1')).toMatchObject({ pid: 'p-1', state: 'COMPLETED' });
    expect((await s.provision('p-1'))?.placement).toBeUndefined();

    const sim = newSim();
    await s.addSubscriber({ imsi: IMSI, iccid: '894601', simKey: sim.point, status: 'suspended', plan: { maxProvisions: 2 } });
    expect(await s.subscriber(IMSI)).toEqual({ imsi: IMSI, iccid: '894601', simKey: sim.point, status: 'suspended', plan: { maxProvisions: 2 } });
    await expect(s.addSubscriber({ imsi: IMSI, iccid: '1', plan: { maxServices: -1 } })).rejects.toThrow(RangeError);

    await s.setEdgeCost('cell-1', 'b', 9);
    await s.setEdgeCost('cell-1', 'a', 3);
    await s.setEdgeCost('cell-1', 'b', 2);
    expect(await s.edgeCosts('cell-1')).toEqual([{ edge: 'b', cost: 2 }, { edge: 'a', cost: 3 }]);
    await expect(s.setEdgeCost('cell-1', 'c', Number.NaN)).rejects.toThrow(RangeError);

    await s.raiseTemplateSeq('acme', 't', 5);
    await s.raiseTemplateSeq('acme', 't', 3);
    expect(await s.templateSeq('acme', 't')).toBe(5);
    expect(await s.templateSeq('globex', 't')).toBeUndefined();

    await s.createOrder({ oid: 'o-2', pid: 'p-1', kind: 'deploy', edge: 'e', at: 2, bytes: new Uint8Array([1, 2, 3]) });
    await s.orderSent('o-2');
    expect(await s.order('o-2')).toEqual({ oid: 'o-2', pid: 'p-1', kind: 'deploy', edge: 'e', at: 2, bytes: new Uint8Array([1, 2, 3]), sends: 2 });
    await s.close();
  });
});
