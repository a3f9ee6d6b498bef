// The admin API's resources, one small function each, looked up by (method, path pattern) from
// one table. They read and write only through the CoreStore (always awaited, so a sync or async
// backend both work), the edge table and the core's metrics and charging export.
import { isEdgeId, isImsi, SimedgeError } from '@simedge/device-sdk/wire';
import type { EdgeTable } from '../edges.js';
import type { CoreStore, Plan, ProvisionState, SubscriberStatus, TrustKey } from '../store/types.js';
import { jsonObject } from './http.js';
import { keyView, trustKeyFromBody } from './keys.js';
import { checkSimImport } from './sims.js';

/** What the admin API needs of a core (CoreValidator has all of it). */
export interface AdminCore {
  readonly store: CoreStore;
  readonly edges: EdgeTable;
  /** Set a SIM's status; suspending tears its provisions down (CoreValidator.setSubscriberStatus). */
  setSubscriberStatus(imsi: string, status: SubscriberStatus): Promise<{ removing: number }>;
  /** Revoke a manufacturer key; its active provisions are torn down (CoreValidator.revokeKey). */
  revokeKey(kid: string): Promise<{ removing: number }>;
  metrics(): Promise<string>;
  chargingCsv(from?: number, to?: number): string | Promise<string>;
}

export interface RouteCtx {
  core: AdminCore;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Reads the body within the route's limit (JSON bodies get the small one). */
  body(): Promise<Buffer>;
  plans: Readonly<Record<string, Plan>>;
}

export type Reply =
  | { kind: 'json'; status?: number; body: unknown }
  | { kind: 'text'; contentType: string; body: string };

export interface Route {
  method: 'GET' | 'POST';
  /** Path with `:name` segments. */
  path: string;
  /** Large bodies (CSV import) get the big limit; everything else the small one. */
  bigBody?: boolean;
  /** Served without the bearer token (liveness probes). */
  open?: boolean;
  run(c: RouteCtx): Promise<Reply>;
}

const STATES: readonly ProvisionState[] = ['STARTING', 'PROCESSING', 'COMPLETED', 'FAILED', 'FAILED_TEMP', 'REMOVING', 'REMOVED'];
const json = (body: unknown, status = 200): Reply => ({ kind: 'json', status, body });
const notFound = (what: string): never => {
  throw new SimedgeError('ADMIN_NOT_FOUND', what);
};
const badRequest = (why: string): never => {
  throw new SimedgeError('ADMIN_BAD_REQUEST', why);
};

function imsiParam(c: RouteCtx): string {
  const imsi = c.params.imsi ?? '';
  if (!isImsi(imsi)) badRequest('imsi must be 6 to 15 digits');
  return imsi;
}

/** A placement location key: a cell (8 hex digits) or a TAI (`24001-0A01`), or any operator name of
 *  1..64 letters, digits and `_ . : -`. */
function locParam(v: unknown): string {
  return typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? v : badRequest('loc must be a cell or TAI name (1..64 of A-Z a-z 0-9 _ . : -)');
}

function edgeParam(v: unknown): string {
  return isEdgeId(v) ? v : badRequest('edge must be an edge id (1..64 of A-Z a-z 0-9 _ . -)');
}

/** ms since the epoch from a query value: digits (ms) or ISO 8601. */
function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (/^[0-9]{1,15}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? badRequest(`${name}: ms since the epoch or an ISO 8601 time expected`) : t;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/healthz', open: true, run: async () => json({ ok: true }) },
  { method: 'GET', path: '/metrics', run: async (c) => ({ kind: 'text', contentType: 'text/plain; version=0.0.4; charset=utf-8', body: await c.core.metrics() }) },

  {
    method: 'POST', path: '/v1/sims/import', bigBody: true,
    async run(c) {
      const subs = await checkSimImport((await c.body()).toString('utf8'), c.plans);
      // Every row passed the checks above; one transaction makes the write all-or-nothing too.
      await c.core.store.tx(async (tx) => {
        for (const s of subs) await tx.addSubscriber(s);
      });
      return json({ imported: subs.length });
    },
  },
  {
    method: 'GET', path: '/v1/sims/:imsi',
    async run(c) {
      const imsi = imsiParam(c);
      const sub = (await c.core.store.subscriber(imsi)) ?? notFound(`SIM ${imsi}`);
      const attach = await c.core.store.attachOf(imsi);
      const provisions = await c.core.store.provisions({ imsi });
      return json({
        ...sub, status: sub.status ?? 'active', attach: attach ?? null,
        provisions: provisions.map((p) => ({ pid: p.pid, state: p.state, edge: p.edge, tid: p.tid, created: p.created })),
      });
    },
  },
  {
    method: 'POST', path: '/v1/sims/:imsi/status',
    async run(c) {
      const imsi = imsiParam(c);
      const b = jsonObject(await c.body());
      if (b.status !== 'active' && b.status !== 'suspended') badRequest("status must be 'active' or 'suspended'");
      // An unknown IMSI is ADMIN_NOT_FOUND from the core itself.
      const { removing } = await c.core.setSubscriberStatus(imsi, b.status as SubscriberStatus);
      return json({ imsi, status: b.status, removing });
    },
  },

  {
    method: 'POST', path: '/v1/keys',
    async run(c) {
      const k = trustKeyFromBody(jsonObject(await c.body()));
      const old = await c.core.store.trustKey(k.kid);
      // Re-adding a revoked kid must not silently un-revoke it: a revocation is final.
      if (old?.revoked) throw new SimedgeError('ADMIN_BAD_REQUEST', `key ${k.kid} is revoked; use a new kid`);
      await c.core.store.addTrustKey(k);
      return json(keyView(k), old ? 200 : 201);
    },
  },
  { method: 'GET', path: '/v1/keys', run: async (c) => json({ keys: (await c.core.store.trustKeys()).map(keyView) }) },
  {
    method: 'GET', path: '/v1/keys/:kid',
    run: async (c) => json(keyView((await c.core.store.trustKey(c.params.kid ?? '')) ?? notFound(`key ${c.params.kid}`))),
  },
  {
    method: 'POST', path: '/v1/keys/:kid/revoke',
    async run(c) {
      const k = (await c.core.store.trustKey(c.params.kid ?? '')) ?? notFound(`key ${c.params.kid}`);
      const { removing } = await c.core.revokeKey(k.kid);
      return json({ ...keyView({ ...k, revoked: true }), removing });
    },
  },

  {
    method: 'GET', path: '/v1/provisions',
    async run(c) {
      const filter: { imsi?: string; state?: string } = {};
      const imsi = c.query.get('imsi');
      const state = c.query.get('state');
      if (imsi) filter.imsi = isImsi(imsi) ? imsi : badRequest('imsi must be 6 to 15 digits');
      if (state) filter.state = (STATES as readonly string[]).includes(state) ? state : badRequest(`state must be one of ${STATES.join(', ')}`);
      return json({ provisions: await c.core.store.provisions(filter) });
    },
  },
  {
    method: 'GET', path: '/v1/provisions/:pid',
    async run(c) {
      const p = (await c.core.store.provision(c.params.pid ?? '')) ?? notFound(`provision ${c.params.pid}`);
      // The store keeps every order but can look one up only by oid: the current one is shown.
      const o = await c.core.store.order(p.oid);
      const order = o ? { oid: o.oid, kind: o.kind, edge: o.edge, at: o.at, sends: o.sends ?? 1 } : null;
      return json({ ...p, order });
    },
  },

  {
    method: 'GET', path: '/v1/edges',
    run: async (c) => json({ edges: c.core.edges.list().sort((a, b) => a.edge.localeCompare(b.edge)) }),
  },
  {
    method: 'GET', path: '/v1/placement',
    run: async (c) => json({ cells: await c.core.store.cellEdges(), costs: await c.core.store.allEdgeCosts() }),
  },
  {
    method: 'POST', path: '/v1/placement/cells',
    async run(c) {
      const b = jsonObject(await c.body());
      const loc = locParam(b.loc);
      const edge = edgeParam(b.edge);
      await c.core.store.setCellEdge(loc, edge);
      return json({ loc, edge });
    },
  },
  {
    method: 'POST', path: '/v1/placement/cells/:loc/delete',
    async run(c) {
      const loc = locParam(c.params.loc);
      if (!await c.core.store.deleteCellEdge(loc)) notFound(`placement entry for ${loc}`);
      return json({ loc, deleted: true });
    },
  },
  {
    method: 'POST', path: '/v1/placement/costs',
    async run(c) {
      const b = jsonObject(await c.body());
      const loc = locParam(b.loc);
      const edge = edgeParam(b.edge);
      if (typeof b.cost !== 'number' || !Number.isFinite(b.cost) || b.cost < 0) badRequest('cost must be a number >= 0');
      await c.core.store.setEdgeCost(loc, edge, b.cost as number);
      return json({ loc, edge, cost: b.cost });
    },
  },
  {
    method: 'POST', path: '/v1/placement/costs/:loc/:edge/delete',
    async run(c) {
      const loc = locParam(c.params.loc);
      const edge = edgeParam(c.params.edge);
      if (!await c.core.store.deleteEdgeCost(loc, edge)) notFound(`cost of ${edge} for ${loc}`);
      return json({ loc, edge, deleted: true });
    },
  },
  {
    method: 'GET', path: '/v1/charging.csv',
    async run(c) {
      const csv = await c.core.chargingCsv(timeParam(c.query, 'from'), timeParam(c.query, 'to'));
      return { kind: 'text', contentType: 'text/csv; charset=utf-8; header=present', body: csv };
    },
  },
];

/** Find the route for a path: `{route, params}`, or the methods the path allows (for 405). */
export function match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } {
  const parts = path.split('/');
  const allowed: string[] = [];
  for (const r of ROUTES) {
    const pat = r.path.split('/');
    if (pat.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length && ok; i++) {
      const p = pat[i] as string;
      const v = parts[i] as string;
      if (p.startsWith(':')) {
        let d: string;
        try {
          d = decodeURIComponent(v);
        } catch {
          d = '';
        }
        if (d === '' || d.length > 128) ok = false;
        else params[p.slice(1)] = d;
      } else if (p !== v) ok = false;
    }
    if (!ok) continue;
    if (r.method === method) return { route: r, params };
    allowed.push(r.method);
  }
  return { allowed };
}
