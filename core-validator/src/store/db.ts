// The store's tables as kysely sees them, and the row <-> record mappings. One shape for both
// dialects: integers are ms (or s) times and counters, read back as numbers on PostgreSQL too
// (open.ts parses int8), blobs are bytes (BLOB / bytea), JSON is text.
import type { Endpoint } from '@simedge/device-sdk/wire';
import type { Generated, Selectable } from 'kysely';
import type { AttachRecord, ChargingRecord, EndReason, OrderRecord, Plan, PlacementRecord, ProvisionRecord, ProvisionState, Subscriber, SubscriberStatus, TrustKey } from './types.js';

export interface SubscribersTable { imsi: string; iccid: string; sim_key: Uint8Array | null; status: Generated<string>; plan: string | null }
export interface TrustKeysTable {
  kid: string; public_key: Uint8Array; mfr: string; classes: string | null;
  /** Validity window in seconds since the epoch. */
  not_before: number | null; not_after: number | null; revoked: Generated<number>;
}
export interface CellEdgesTable { cell: string; edge: string }
export interface EdgeCostsTable { loc: string; edge: string; cost: number }
export interface TemplateSeqTable { mfr: string; tid: string; seq: number }
/** `nas`, `session`: the RADIUS NAS and Acct-Session-Id that reported the attach (migration 007). */
export interface AttachTable { imsi: string; ip: string; plmn: string; cell: string; at: number; tai: string | null; nas: string | null; session: string | null }
export interface NoncesTable { nonce: Uint8Array; imsi: string; expires: number }
/** `owner` set = a core is handling the request right now (a claim); null = handled, `reply` is the answer. */
export interface RequestsTable { imsi: string; t: string; rid: string; reply: Uint8Array | null; at: number; owner: string | null }
export interface ProvisionsTable {
  pid: string; imsi: string; edge: string; state: string; tid: string; cls: string; rid: string; oid: string;
  created: number; updated: number; deadline: number | null; code: string | null;
  end_why: string | null; end_rid: string | null; svc: string | null;
  seq: number | null; mfr: string | null; kid: string | null; services: string | null; placement: string | null; lease_until: number | null; roam_by: number | null;
  /** The core that runs the provision's timers (README "Scale-out"). */
  owner: string | null;
}
export interface OrdersTable { oid: string; pid: string; kind: 'deploy' | 'remove'; edge: string; at: number; bytes: Uint8Array | null; sends: Generated<number> }
/** Each core's liveness lease (ms): a core whose `until` has passed is taken for dead. */
export interface CoreLeasesTable { owner: string; until: number }
/** A device notification waiting to be sent (`owner`: the core that committed it). */
export interface OutboxTable { id: string; imsi: string; payload: Uint8Array; owner: string | null; at: number }
export interface ChargingTable { imsi: string; pid: string; service: string; edge: string; start: number; stop: number | null }

export interface DB {
  subscribers: SubscribersTable;
  trust_keys: TrustKeysTable;
  cell_edges: CellEdgesTable;
  edge_costs: EdgeCostsTable;
  template_seq: TemplateSeqTable;
  attach: AttachTable;
  nonces: NoncesTable;
  requests: RequestsTable;
  provisions: ProvisionsTable;
  orders: OrdersTable;
  charging: ChargingTable;
  core_leases: CoreLeasesTable;
  outbox: OutboxTable;
}

/** Bytes as the drivers want them (both accept a Buffer; a view shares the memory). */
export const bytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/** A fresh copy, so a record never aliases a driver's buffer. */
export const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

export function toProvision(r: Selectable<ProvisionsTable>): ProvisionRecord {
  const p: ProvisionRecord = {
    pid: r.pid, imsi: r.imsi, edge: r.edge, state: r.state as ProvisionState, tid: r.tid, cls: r.cls, rid: r.rid, oid: r.oid,
    created: r.created, updated: r.updated,
  };
  if (r.deadline !== null) p.deadline = r.deadline;
  if (r.code !== null) p.code = r.code;
  if (r.end_why !== null) p.endWhy = r.end_why as EndReason;
  if (r.end_rid !== null) p.endRid = r.end_rid;
  if (r.svc !== null) p.svc = JSON.parse(r.svc) as Endpoint[];
  if (r.seq !== null) p.seq = r.seq;
  if (r.mfr !== null) p.mfr = r.mfr;
  if (r.kid !== null) p.kid = r.kid;
  if (r.services !== null) p.services = JSON.parse(r.services) as string[];
  if (r.placement !== null) p.placement = JSON.parse(r.placement) as PlacementRecord;
  if (r.lease_until !== null) p.leaseUntil = r.lease_until;
  if (r.roam_by !== null) p.roamBy = r.roam_by;
  if (r.owner !== null) p.owner = r.owner;
  return p;
}

export function provisionRow(p: ProvisionRecord): ProvisionsTable {
  return {
    pid: p.pid, imsi: p.imsi, edge: p.edge, state: p.state, tid: p.tid, cls: p.cls, rid: p.rid, oid: p.oid, created: p.created, updated: p.updated,
    deadline: p.deadline ?? null, code: p.code ?? null, end_why: p.endWhy ?? null, end_rid: p.endRid ?? null,
    svc: p.svc ? JSON.stringify(p.svc) : null, seq: p.seq ?? null, mfr: p.mfr ?? null, kid: p.kid ?? null,
    services: p.services ? JSON.stringify(p.services) : null, placement: p.placement ? JSON.stringify(p.placement) : null,
    lease_until: p.leaseUntil ?? null, roam_by: p.roamBy ?? null, owner: p.owner ?? null,
  };
}

export function toAttach(r: Selectable<AttachTable>): AttachRecord {
  const a: AttachRecord = { imsi: r.imsi, ip: r.ip, plmn: r.plmn, cell: r.cell, at: r.at };
  if (r.tai !== null) a.tai = r.tai;
  if (r.nas !== null) a.nas = r.nas;
  if (r.session !== null) a.session = r.session;
  return a;
}

export function toSubscriber(r: Selectable<SubscribersTable>): Subscriber {
  const s: Subscriber = { imsi: r.imsi, iccid: r.iccid, status: r.status as SubscriberStatus };
  if (r.sim_key !== null) s.simKey = copy(r.sim_key);
  if (r.plan !== null) s.plan = JSON.parse(r.plan) as Plan;
  return s;
}

export function toTrustKey(r: Selectable<TrustKeysTable>): TrustKey {
  const k: TrustKey = { kid: r.kid, publicKey: copy(r.public_key), mfr: r.mfr, revoked: r.revoked !== 0 };
  if (r.classes !== null) k.classes = JSON.parse(r.classes) as string[];
  if (r.not_before !== null) k.notBefore = r.not_before;
  if (r.not_after !== null) k.notAfter = r.not_after;
  return k;
}

export function toOrder(r: Selectable<OrdersTable>): OrderRecord {
  const o: OrderRecord = { oid: r.oid, pid: r.pid, kind: r.kind, edge: r.edge, at: r.at, sends: r.sends };
  if (r.bytes !== null) o.bytes = copy(r.bytes);
  return o;
}

export function toCharging(r: Selectable<ChargingTable>): ChargingRecord {
  const c: ChargingRecord = { imsi: r.imsi, pid: r.pid, service: r.service, edge: r.edge, start: r.start };
  if (r.stop !== null) c.stop = r.stop;
  return c;
}
