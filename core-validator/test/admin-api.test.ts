// The admin HTTP API [issue 4 item 6] over real HTTP against a real CoreValidator (embedded broker,
// default store): bearer token, SIM import all-or-nothing, body limits, trust-store keys whose
// revocation the validation pipeline then enforces, provisions, edges and the charging export.
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminCore, type AdminServer } from '../src/admin/index.js';
import { CELL_A, IMSI, downOf, key, startWorld, type World } from './harness.js';

const TOKEN = 'test-admin-token-0123456789';
const IMSI2 = '240011234000002';
const IMSI3 = '240011234000003';

let w: World | undefined;
let admin: AdminServer | undefined;
afterEach(async () => {
  await admin?.close();
  await w?.close();
  admin = undefined;
  w = undefined;
});

async function setup(over: { maxImportBytes?: number; core?: AdminCore } = {}): Promise<{ w: World; admin: AdminServer }> {
  w = await startWorld();
  admin = await startAdminServer(over.core ?? w.core, { token: TOKEN, plans: { gold: { maxProvisions: 3 } }, ...(over.maxImportBytes !== undefined && { maxImportBytes: over.maxImportBytes }) });
  return { w, admin };
}

interface Answer { status: number; headers: Headers; text: string; json: Record<string, unknown> }
async function api(method: string, path: string, o: { token?: string | null; body?: string; type?: string } = {}): Promise<Answer> {
  const token = o.token === undefined ? TOKEN : o.token;
  const res = await fetch(`${admin!.url}${path}`, {
    method,
    headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...(o.type && { 'content-type': o.type }) },
    ...(o.body !== undefined && { body: o.body }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // text answers (metrics, CSV)
  }
  return { status: res.status, headers: res.headers, text, json };
}

const simKeyHex = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');

describe('admin API: door', () => {
  it('listens on loopback; /healthz is open, everything else needs the bearer token', async () => {
    await setup();
    expect(admin!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await api('GET', '/healthz', { token: null })).json).toEqual({ ok: true });
    const none = await api('GET', '/v1/edges', { token: null });
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ code: 'ADMIN_UNAUTHORIZED', msg: expect.any(String) });
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await api('GET', '/metrics', { token: 'wrong-token-0123456789' })).status).toBe(401);
    // a refused import writes nothing
    const refused = await api('POST', '/v1/sims/import', { token: 'x', body: `${IMSI2},89460112340000028\n`, type: 'text/csv' });
    expect(refused.status).toBe(401);
    expect(await w!.core.store.subscriber(IMSI2)).toBeUndefined();
  });

  it('unknown routes are 404 ADMIN_NOT_FOUND, wrong methods 405 ADMIN_METHOD with Allow', async () => {
    await setup();
    expect((await api('GET', '/v1/nothing')).json.code).toBe('ADMIN_NOT_FOUND');
    const m = await api('DELETE', '/v1/keys');
    expect(m.status).toBe(405);
    expect(m.json.code).toBe('ADMIN_METHOD');
    expect(m.headers.get('allow')).toBe('POST, GET');
    expect((await api('POST', '/v1/keys', { body: '{not json', type: 'application/json' })).json.code).toBe('ADMIN_BAD_REQUEST');
  });
});

describe('admin API: SIM import', () => {
  it('imports every row (key, plan by name or JSON); the SIM can then be inspected and suspended', async () => {
    await setup();
    const hex = simKeyHex();
    const csv = `imsi,iccid,iotsafe_pubkey,plan\r\n${IMSI2},89460112340000028,${hex},gold\r\n${IMSI3},89460112340000036,,"{""maxServices"":1}"\r\n`;
    const r = await api('POST', '/v1/sims/import', { body: csv, type: 'text/csv' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ imported: 2 });
    const sim = await api('GET', `/v1/sims/${IMSI2}`);
    expect(sim.json).toMatchObject({ imsi: IMSI2, iccid: '89460112340000028', simKey: hex, plan: { maxProvisions: 3 }, status: 'active', attach: null, provisions: [] });
    expect((await w!.core.store.subscriber(IMSI3))?.plan).toEqual({ maxServices: 1 });
    expect((await api('GET', '/v1/sims/240019999999999')).status).toBe(404);
    expect((await api('GET', '/v1/sims/not-an-imsi')).json.code).toBe('ADMIN_BAD_REQUEST');
  });

  it('one bad row refuses the whole file: 422 ADMIN_CSV_INVALID naming the rows, and nothing is imported', async () => {
    await setup();
    const csv = `${IMSI2},89460112340000028,,\n${IMSI3},12,,\n240011234000004,89460112340000044,zz,\n`;
    const r = await api('POST', '/v1/sims/import', { body: csv, type: 'text/csv' });
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ code: 'ADMIN_CSV_INVALID', detail: 'rows 2, 3', errorCount: 2 });
    expect((r.json.errors as { row: number }[]).map((e) => e.row)).toEqual([2, 3]);
    expect(await w!.core.store.subscriber(IMSI2)).toBeUndefined();
  });

  it('bodies over the limit are 413 ADMIN_TOO_LARGE, declared or streamed, and change nothing', async () => {
    await setup({ maxImportBytes: 256 });
    const rows = Array.from({ length: 10 }, (_, i) => `24001123400010${i},8946011234000${String(i).padStart(4, '0')}\n`).join('');
    const declared = await api('POST', '/v1/sims/import', { body: rows, type: 'text/csv' });
    expect(declared.status).toBe(413);
    expect(declared.json.code).toBe('ADMIN_TOO_LARGE');

    // chunked: no Content-Length, the limit is hit while reading
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${admin!.url}/v1/sims/import`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(rows.slice(0, 200));
      req.write(rows.slice(200));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ code: 'ADMIN_TOO_LARGE' });
    expect(await w!.core.store.subscriber('240011234000100')).toBeUndefined();

    // JSON bodies have their own, smaller limit
    const big = await api('POST', '/v1/keys', { body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), type: 'application/json' });
    expect(big.status).toBe(413);
  });

  it('a suspension through the API tears the running provisions down and is what the validation pipeline enforces', async () => {
    await setup();
    const acc = await w!.provision('p0');
    expect(acc).toMatchObject({ t: 'acc' });
    const pid = (acc as { pid: string }).pid;
    await w!.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    const r = await api('POST', `/v1/sims/${IMSI}/status`, { body: JSON.stringify({ status: 'suspended' }), type: 'application/json' });
    expect(r.json).toEqual({ imsi: IMSI, status: 'suspended', removing: 1 });
    // The test edge answers the remove order: the device is told why, the provision ends.
    expect(await w!.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid, why: 'suspended' });
    await w!.core.idle();
    expect(await w!.core.store.provision(pid)).toMatchObject({ state: 'REMOVED', endWhy: 'suspended' });
    expect((await w!.core.store.charging())[0]?.stop).toBeDefined();
    const rej = await w!.provision('p1');
    expect(rej).toMatchObject({ t: 'rej', code: 'SUBSCRIBER_SUSPENDED' });
    expect((await api('POST', `/v1/sims/${IMSI2}/status`, { body: '{"status":"active"}', type: 'application/json' })).status).toBe(404);
    expect((await api('POST', `/v1/sims/${IMSI}/status`, { body: '{"status":"gone"}', type: 'application/json' })).json.code).toBe('ADMIN_BAD_REQUEST');
  });
});

describe('admin API: manufacturer keys', () => {
  it('a key added as a JWK signs accepted templates; once revoked the same template is KEY_NOT_VALID', async () => {
    const { w } = await setup();
    const k2 = key('acme-2027');
    const add = await api('POST', '/v1/keys', {
      type: 'application/json',
      body: JSON.stringify({ publicKey: { kty: 'OKP', crv: 'Ed25519', kid: k2.kid, x: Buffer.from(k2.publicKey).toString('base64url') }, mfr: 'acme', classes: ['acme/thermo-nb1'] }),
    });
    expect(add.status).toBe(201);
    expect(add.json).toMatchObject({ kid: 'acme-2027', mfr: 'acme', revoked: false, classes: ['acme/thermo-nb1'] });
    const tpl = w.template({}, k2);
    const acc = await w.provision('p1', tpl);
    expect(acc.t).toBe('acc');
    const pid = (acc as { pid: string }).pid;
    await w.obs.waitFor(downOf(IMSI, 'ready', (m) => m.pid === pid), 'ready p1');
    // Another template of the device, signed by the other key: revoking acme-2027 leaves it alone.
    const other = await w.provision('p9', w.template({ tid: 'acme.other' }));
    const otherPid = (other as { pid: string }).pid;
    await w.obs.waitFor(downOf(IMSI, 'ready', (m) => m.pid === otherPid), 'ready p9');

    const rev = await api('POST', '/v1/keys/acme-2027/revoke');
    expect(rev.json).toMatchObject({ kid: 'acme-2027', revoked: true, removing: 1 });
    expect(await w.obs.waitFor(downOf(IMSI, 'term'), 'term')).toEqual({ t: 'term', pid, why: 'revoked' });
    await w.core.idle();
    expect(await w.core.store.provision(pid)).toMatchObject({ state: 'REMOVED', endWhy: 'revoked', kid: 'acme-2027' });
    expect((await w.core.store.provision(otherPid))?.state).toBe('COMPLETED');
    expect((await api('GET', '/v1/keys/acme-2027')).json.revoked).toBe(true);
    expect(await w.provision('p2', tpl)).toMatchObject({ t: 'rej', code: 'KEY_NOT_VALID' });
    // a revocation is final: re-adding the kid is refused
    const again = await api('POST', '/v1/keys', { type: 'application/json', body: JSON.stringify({ kid: 'acme-2027', publicKey: Buffer.from(k2.publicKey).toString('hex'), mfr: 'acme' }) });
    expect(again.status).toBe(400);
    expect((await w.core.store.trustKey('acme-2027'))?.revoked).toBe(true);
    expect((await api('POST', '/v1/keys/nobody/revoke')).status).toBe(404);
  });

  it('GET /v1/keys lists the whole trust store by kid, revoked keys included', async () => {
    const { w } = await setup();
    const k2 = key('aaa-2020');
    await w.core.store.addTrustKey({ kid: k2.kid, publicKey: k2.publicKey, mfr: 'acme', revoked: true });
    const res = await api('GET', '/v1/keys');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      keys: [
        expect.objectContaining({ kid: 'aaa-2020', mfr: 'acme', revoked: true, publicKeyHex: Buffer.from(k2.publicKey).toString('hex') }),
        expect.objectContaining({ kid: w.mfr.kid, mfr: 'acme', revoked: false, publicKeyHex: Buffer.from(w.mfr.publicKey).toString('hex') }),
      ],
    });
  });
});

describe('admin API: provisions, edges, charging', () => {
  it('shows a completed provision with its placement decision and current order, the edges and the charging CSV', async () => {
    const { w } = await setup();
    const acc = await w.provision('p1');
    if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    await w.core.idle();

    const list = await api('GET', `/v1/provisions?imsi=${IMSI}&state=COMPLETED`);
    expect((list.json.provisions as { pid: string }[]).map((p) => p.pid)).toEqual([acc.pid]);
    expect((await api('GET', '/v1/provisions?state=FAILED')).json.provisions).toEqual([]);
    expect((await api('GET', '/v1/provisions?state=DONE')).json.code).toBe('ADMIN_BAD_REQUEST');

    const one = await api('GET', `/v1/provisions/${acc.pid}`);
    expect(one.json).toMatchObject({
      pid: acc.pid, imsi: IMSI, edge: 'edge-a', state: 'COMPLETED',
      placement: { rule: 'cell-map', reason: expect.stringContaining('edge-a') },
      order: { kind: 'deploy', edge: 'edge-a', sends: 1 },
    });
    expect((await api('GET', '/v1/provisions/p-unknown')).status).toBe(404);

    const edges = await api('GET', '/v1/edges');
    expect((edges.json.edges as { edge: string; online: boolean }[]).map((e) => [e.edge, e.online])).toEqual([['edge-a', true], ['edge-b', true]]);

    const csv = await api('GET', '/v1/charging.csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text).toBe(await w.core.chargingCsv());
    expect(csv.text).toContain(`${IMSI},${acc.pid},onem2m-cse,edge-a,`);
    // records starting before an hour ago: none
    expect((await api('GET', `/v1/charging.csv?to=${w.clock.ms - 3_600_000}`)).text).toBe('imsi,pid,service,edge,start,stop,seconds\r\n');
    expect((await api('GET', '/v1/charging.csv?from=yesterday')).json.code).toBe('ADMIN_BAD_REQUEST');
  });
});

describe('admin API: placement tables', () => {
  it('lists, sets and removes cell/TAI entries and costs; placement follows at once; bad input changes nothing', async () => {
    const { w } = await setup();
    const before = (await api('GET', '/v1/placement')).json as { cells: { loc: string; edge: string }[]; costs: unknown[] };
    expect(before.cells.map((c) => c.loc)).toContain(CELL_A);
    const post = (path: string, body?: unknown) => api('POST', path, body === undefined ? {} : { type: 'application/json', body: JSON.stringify(body) });

    // CELL_A moves to edge-b: the next provision is placed there.
    expect((await post('/v1/placement/cells', { loc: CELL_A, edge: 'edge-b' })).json).toEqual({ loc: CELL_A, edge: 'edge-b' });
    expect(await w.provision('p1')).toMatchObject({ t: 'acc', edge: 'edge-b' });

    expect((await post('/v1/placement/costs', { loc: CELL_A, edge: 'edge-a', cost: 3 })).status).toBe(200);
    expect((await api('GET', '/v1/placement')).json.costs).toEqual([{ loc: CELL_A, edge: 'edge-a', cost: 3 }]);
    // Without the cell entry, the cost table is the fallback: edge-a.
    expect((await post(`/v1/placement/cells/${CELL_A}/delete`)).json).toEqual({ loc: CELL_A, deleted: true });
    expect(await w.provision('p2', w.template({ tid: 'acme.other' }))).toMatchObject({ t: 'acc', edge: 'edge-a' });
    expect((await post(`/v1/placement/costs/${CELL_A}/edge-a/delete`)).json).toEqual({ loc: CELL_A, edge: 'edge-a', deleted: true });

    // Refused, nothing changed.
    const now = (await api('GET', '/v1/placement')).json;
    expect((await post('/v1/placement/cells', { loc: 'bad loc!', edge: 'edge-a' })).json.code).toBe('ADMIN_BAD_REQUEST');
    expect((await post('/v1/placement/cells', { loc: CELL_A, edge: '' })).json.code).toBe('ADMIN_BAD_REQUEST');
    expect((await post('/v1/placement/costs', { loc: CELL_A, edge: 'edge-a', cost: -1 })).json.code).toBe('ADMIN_BAD_REQUEST');
    expect((await post('/v1/placement/costs', { loc: CELL_A, edge: 'edge-a', cost: '1' })).json.code).toBe('ADMIN_BAD_REQUEST');
    expect((await post(`/v1/placement/cells/${CELL_A}/delete`)).status).toBe(404);
    expect((await post(`/v1/placement/costs/${CELL_A}/edge-a/delete`)).status).toBe(404);
    expect((await api('GET', '/v1/placement')).json).toEqual(now);
  });
});
