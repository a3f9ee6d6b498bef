// `simedge core provisions|edges|charging|keys show` output after a real provisioning: a real core
// (embedded broker, default store) behind a real admin HTTP server, the commands run through the
// simedge command tree in-process (daemon-run.test.ts covers the binary and the daemon).
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '@simedge/device-sdk/tools';
import { startAdminServer, type AdminServer } from '../src/admin/index.js';
import { IMSI, downOf, startWorld, type World } from './harness.js';

const TOKEN = 'cli-token-0123456789abcdef';
let w: World | undefined;
let admin: AdminServer | undefined;
afterEach(async () => {
  await admin?.close();
  await w?.close();
  admin = undefined;
  w = undefined;
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['core', ...args, '--admin', admin!.url, '--token', TOKEN], { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: process.cwd() });
  return { code, out, err };
}

describe('simedge core admin commands', () => {
  it('list and show a provision, the edges and the charging records', async () => {
    w = await startWorld();
    admin = await startAdminServer(w.core, { token: TOKEN });
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.core.idle();

    const list = await cli('provisions', 'list', '--imsi', IMSI);
    expect(list.code).toBe(0);
    expect(list.out).toBe(`${acc.pid}  ${IMSI}  COMPLETED  edge-a  acme.thermo  ${new Date(w.clock.ms).toISOString()}\n`);
    const json = await cli('provisions', 'list', '--state', 'COMPLETED', '--json');
    expect(JSON.parse(json.out.trim())).toMatchObject({ pid: acc.pid, state: 'COMPLETED' });
    const bad = await cli('provisions', 'list', '--state', 'DONE');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^simedge: ADMIN_BAD_REQUEST: .*state must be one of/);

    const show = JSON.parse((await cli('provisions', 'show', acc.pid)).out) as Record<string, unknown>;
    expect(show).toMatchObject({ pid: acc.pid, placement: { rule: 'cell-map' }, order: { kind: 'deploy' } });
    expect((await cli('provisions', 'show', 'p-none')).err).toMatch(/ADMIN_NOT_FOUND/);

    expect((await cli('edges')).out).toMatch(/^edge-a {2}online {2}cpu 0\/4 {2}mem 0\/4096 MB {2}inst 0 {2}cells -\nedge-b {2}online/);

    const table = await cli('charging');
    const [head, row] = table.out.split('\n');
    expect(head).toMatch(/^imsi +pid +service +edge +start +stop +seconds$/);
    expect(row).toMatch(new RegExp(`^${IMSI} +${acc.pid} +onem2m-cse +edge-a +\\d{4}-`));
    expect((await cli('charging', '--csv')).out).toBe(await w.core.chargingCsv());

    const key = JSON.parse((await cli('keys', 'show', w.mfr.kid)).out) as Record<string, unknown>;
    expect(key).toMatchObject({ kid: w.mfr.kid, mfr: 'acme', revoked: false, publicKeyHex: Buffer.from(w.mfr.publicKey).toString('hex') });
    expect((await cli('placement', 'set-cell', '24001-0A01', 'edge-b')).out).toBe('24001-0A01 -> edge-b\n');
    expect((await cli('placement', 'set-cost', '24001-0A01', 'edge-a', '2.5')).code).toBe(0);
    const tables = await cli('placement', 'list');
    expect(tables.out).toContain('cell  24001-0A01  -> edge-b\n');
    expect(tables.out).toContain('cost  24001-0A01  edge-a  2.5\n');
    expect((await cli('placement', 'set-cost', '24001-0A01', 'edge-a', 'cheap')).code).toBe(2);
    expect((await cli('placement', 'rm-cost', '24001-0A01', 'edge-a')).out).toBe('removed 24001-0A01 edge-a\n');
    expect((await cli('placement', 'rm-cell', '24001-0A01')).code).toBe(0);
    expect((await cli('placement', 'rm-cell', '24001-0A01')).err).toMatch(/ADMIN_NOT_FOUND/);
    const keys = await cli('keys', 'list');
    expect(keys.code).toBe(0);
    expect(keys.out).toMatch(new RegExp(`^${w.mfr.kid} {2}acme {2}valid {2}classes `));
    expect(JSON.parse((await cli('keys', 'list', '--json')).out)).toMatchObject({ kid: w.mfr.kid, revoked: false });
  });
});
