// CoreStore on SQLite (better-sqlite3): the embedded default. ':memory:' for tests and the demo;
// a file runs in WAL mode so readers (admin tools) never block the validator.
import type { Endpoint } from '@simedge/device-sdk/wire';
import { checkPlan } from '../policy.js';
import { simPublicKey } from '../simproof.js';
import { openDatabase, type Database, type Statement } from './sqlite-driver.js';
import { MIGRATIONS } from './schema.js';
import type {
  AttachRecord, ChargingRecord, CoreStore, EndReason, OrderRecord, Plan, PlacementRecord, ProvisionPatch, ProvisionRecord, ProvisionState,
  Subscriber, SubscriberStatus, TrustKey,
} from './types.js';

interface ProvisionRow {
  pid: string; imsi: string; edge: string; state: string; tid: string; cls: string; rid: string; oid: string;
  created: number; updated: number; deadline: number | null; code: string | null;
  end_why: string | null; end_rid: string | null; svc: string | null;
  seq: number | null; mfr: string | null; services: string | null; placement: string | null; lease_until: number | null; roam_by: number | null;
}
interface SubscriberRow { imsi: string; iccid: string; sim_key: Uint8Array | null; status: string; plan: string | null }
interface AttachRow { imsi: string; ip: string; plmn: string; cell: string; at: number; tai: string | null }
interface OrderRow { oid: string; pid: string; kind: 'deploy' | 'remove'; edge: string; at: number; bytes: Uint8Array | null; sends: number }
interface ChargingRow { imsi: string; pid: string; service: string; edge: string; start: number; stop: number | null }
interface TrustRow {
  kid: string; public_key: Uint8Array; mfr: string; classes: string | null;
  not_before: number | null; not_after: number | null; revoked: number;
}

const PATCH_COLUMNS: Record<keyof ProvisionPatch, string> = {
  state: 'state', oid: 'oid', deadline: 'deadline', code: 'code', endWhy: 'end_why', endRid: 'end_rid', svc: 'svc', updated: 'updated',
  roamBy: 'roam_by', leaseUntil: 'lease_until',
};
const SUBSCRIBER_STATUS: readonly SubscriberStatus[] = ['active', 'suspended'];

function toProvision(r: ProvisionRow): ProvisionRecord {
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
  if (r.services !== null) p.services = JSON.parse(r.services) as string[];
  if (r.placement !== null) p.placement = JSON.parse(r.placement) as PlacementRecord;
  if (r.lease_until !== null) p.leaseUntil = r.lease_until;
  if (r.roam_by !== null) p.roamBy = r.roam_by;
  return p;
}

function toSubscriber(r: SubscriberRow): Subscriber {
  const s: Subscriber = { imsi: r.imsi, iccid: r.iccid, status: r.status as SubscriberStatus };
  if (r.sim_key !== null) s.simKey = new Uint8Array(r.sim_key);
  if (r.plan !== null) s.plan = JSON.parse(r.plan) as Plan;
  return s;
}

function toCharging(r: ChargingRow): ChargingRecord {
  const c: ChargingRecord = { imsi: r.imsi, pid: r.pid, service: r.service, edge: r.edge, start: r.start };
  if (r.stop !== null) c.stop = r.stop;
  return c;
}

export class SqliteStore implements CoreStore {
  private readonly db: Database;
  private readonly cache = new Map<string, Statement>();

  constructor(path = ':memory:') {
    this.db = openDatabase(path);
    if (path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private st(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  addSubscriber(s: Subscriber): void {
    // Refuse a key the proof check could never use, at registration rather than at the first prov.
    if (s.simKey !== undefined) simPublicKey(s.simKey);
    const status = s.status ?? 'active';
    if (!SUBSCRIBER_STATUS.includes(status)) throw new TypeError(`subscriber: status must be one of ${SUBSCRIBER_STATUS.join(', ')}`);
    const plan = s.plan ? JSON.stringify(checkPlan(s.plan)) : null;
    this.st(`INSERT INTO subscribers (imsi, iccid, sim_key, status, plan) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (imsi) DO UPDATE SET iccid = excluded.iccid, sim_key = excluded.sim_key, status = excluded.status, plan = excluded.plan`)
      .run(s.imsi, s.iccid, s.simKey ? Buffer.from(s.simKey) : null, status, plan);
  }
  subscriber(imsi: string): Subscriber | undefined {
    const r = this.st('SELECT imsi, iccid, sim_key, status, plan FROM subscribers WHERE imsi = ?').get(imsi) as SubscriberRow | undefined;
    return r ? toSubscriber(r) : undefined;
  }
  setSubscriberStatus(imsi: string, status: SubscriberStatus): void {
    if (!SUBSCRIBER_STATUS.includes(status)) throw new TypeError(`subscriber: status must be one of ${SUBSCRIBER_STATUS.join(', ')}`);
    this.st('UPDATE subscribers SET status = ? WHERE imsi = ?').run(status, imsi);
  }

  addTrustKey(k: TrustKey): void {
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) throw new TypeError('trust key: publicKey must be 32 bytes (Ed25519)');
    this.st(`INSERT INTO trust_keys (kid, public_key, mfr, classes, not_before, not_after, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (kid) DO UPDATE SET public_key = excluded.public_key, mfr = excluded.mfr, classes = excluded.classes,
      not_before = excluded.not_before, not_after = excluded.not_after, revoked = excluded.revoked`)
      .run(k.kid, Buffer.from(k.publicKey), k.mfr, k.classes ? JSON.stringify(k.classes) : null, k.notBefore ?? null, k.notAfter ?? null, k.revoked ? 1 : 0);
  }
  trustKey(kid: string): TrustKey | undefined {
    const r = this.st('SELECT * FROM trust_keys WHERE kid = ?').get(kid) as TrustRow | undefined;
    if (!r) return undefined;
    const k: TrustKey = { kid: r.kid, publicKey: new Uint8Array(r.public_key), mfr: r.mfr, revoked: r.revoked !== 0 };
    if (r.classes !== null) k.classes = JSON.parse(r.classes) as string[];
    if (r.not_before !== null) k.notBefore = r.not_before;
    if (r.not_after !== null) k.notAfter = r.not_after;
    return k;
  }

  setCellEdge(cell: string, edge: string): void {
    this.st('INSERT INTO cell_edges (cell, edge) VALUES (?, ?) ON CONFLICT (cell) DO UPDATE SET edge = excluded.edge').run(cell, edge);
  }
  edgeForCell(cell: string): string | undefined {
    const r = this.st('SELECT edge FROM cell_edges WHERE cell = ?').get(cell) as { edge: string } | undefined;
    return r?.edge;
  }
  setEdgeCost(loc: string, edge: string, cost: number): void {
    if (!Number.isFinite(cost) || cost < 0) throw new RangeError('edge cost must be a finite number >= 0');
    this.st('INSERT INTO edge_costs (loc, edge, cost) VALUES (?, ?, ?) ON CONFLICT (loc, edge) DO UPDATE SET cost = excluded.cost').run(loc, edge, cost);
  }
  edgeCosts(loc: string): { edge: string; cost: number }[] {
    return this.st('SELECT edge, cost FROM edge_costs WHERE loc = ? ORDER BY cost, edge').all(loc) as { edge: string; cost: number }[];
  }

  templateSeq(mfr: string, tid: string): number | undefined {
    const r = this.st('SELECT seq FROM template_seq WHERE mfr = ? AND tid = ?').get(mfr, tid) as { seq: number } | undefined;
    return r?.seq;
  }
  raiseTemplateSeq(mfr: string, tid: string, seq: number): void {
    this.st(`INSERT INTO template_seq (mfr, tid, seq) VALUES (?, ?, ?)
      ON CONFLICT (mfr, tid) DO UPDATE SET seq = max(seq, excluded.seq)`).run(mfr, tid, seq);
  }

  upsertAttach(a: AttachRecord): void {
    this.st(`INSERT INTO attach (imsi, ip, plmn, cell, at, tai) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (imsi) DO UPDATE SET ip = excluded.ip, plmn = excluded.plmn, cell = excluded.cell, at = excluded.at, tai = excluded.tai`)
      .run(a.imsi, a.ip, a.plmn, a.cell, a.at, a.tai ?? null);
  }
  attachOf(imsi: string): AttachRecord | undefined {
    const r = this.st('SELECT imsi, ip, plmn, cell, at, tai FROM attach WHERE imsi = ?').get(imsi) as AttachRow | undefined;
    if (!r) return undefined;
    const a: AttachRecord = { imsi: r.imsi, ip: r.ip, plmn: r.plmn, cell: r.cell, at: r.at };
    if (r.tai !== null) a.tai = r.tai;
    return a;
  }
  deleteAttach(imsi: string): void {
    this.st('DELETE FROM attach WHERE imsi = ?').run(imsi);
  }

  putNonce(imsi: string, nonce: Uint8Array, expires: number, now: number): void {
    this.st('DELETE FROM nonces WHERE expires <= ?').run(now);
    this.st('INSERT INTO nonces (nonce, imsi, expires) VALUES (?, ?, ?)').run(Buffer.from(nonce), imsi, expires);
  }
  takeNonce(imsi: string, nonce: Uint8Array, now: number): boolean {
    // Deleting whatever matches makes the nonce single-use even when the IMSI does not match.
    const r = this.st('DELETE FROM nonces WHERE nonce = ? RETURNING imsi, expires').get(Buffer.from(nonce)) as { imsi: string; expires: number } | undefined;
    return r !== undefined && r.imsi === imsi && now < r.expires;
  }

  reply(imsi: string, t: string, rid: string): { reply: Uint8Array | undefined } | undefined {
    const r = this.st('SELECT reply FROM requests WHERE imsi = ? AND t = ? AND rid = ?').get(imsi, t, rid) as { reply: Uint8Array | null } | undefined;
    if (!r) return undefined;
    return { reply: r.reply === null ? undefined : new Uint8Array(r.reply) };
  }
  putReply(imsi: string, t: string, rid: string, reply: Uint8Array | undefined, at: number): void {
    this.st(`INSERT INTO requests (imsi, t, rid, reply, at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (imsi, t, rid) DO UPDATE SET reply = excluded.reply, at = excluded.at`)
      .run(imsi, t, rid, reply ? Buffer.from(reply) : null, at);
  }

  createProvision(p: ProvisionRecord): void {
    this.st(`INSERT INTO provisions (pid, imsi, edge, state, tid, cls, rid, oid, created, updated, deadline, code, end_why, end_rid, svc,
        seq, mfr, services, placement, lease_until, roam_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(p.pid, p.imsi, p.edge, p.state, p.tid, p.cls, p.rid, p.oid, p.created, p.updated, p.deadline ?? null, p.code ?? null,
        p.endWhy ?? null, p.endRid ?? null, p.svc ? JSON.stringify(p.svc) : null,
        p.seq ?? null, p.mfr ?? null, p.services ? JSON.stringify(p.services) : null, p.placement ? JSON.stringify(p.placement) : null,
        p.leaseUntil ?? null, p.roamBy ?? null);
  }
  provision(pid: string): ProvisionRecord | undefined {
    const r = this.st('SELECT * FROM provisions WHERE pid = ?').get(pid) as ProvisionRow | undefined;
    return r ? toProvision(r) : undefined;
  }
  provisions(filter: { imsi?: string; state?: string } = {}): ProvisionRecord[] {
    const rows = this.st(`SELECT * FROM provisions WHERE (@imsi IS NULL OR imsi = @imsi) AND (@state IS NULL OR state = @state) ORDER BY created, rowid`)
      .all({ imsi: filter.imsi ?? null, state: filter.state ?? null }) as ProvisionRow[];
    return rows.map(toProvision);
  }
  updateProvision(pid: string, patch: ProvisionPatch): void {
    const keys = (Object.keys(patch) as (keyof ProvisionPatch)[]).filter((k) => Object.prototype.hasOwnProperty.call(PATCH_COLUMNS, k));
    if (keys.length === 0) return;
    const values = keys.map((k) => {
      const v = patch[k];
      if (v === undefined) return null;
      return k === 'svc' ? JSON.stringify(v) : v;
    });
    this.st(`UPDATE provisions SET ${keys.map((k) => `${PATCH_COLUMNS[k]} = ?`).join(', ')} WHERE pid = ?`).run(...values, pid);
  }

  createOrder(o: OrderRecord): void {
    this.st('INSERT INTO orders (oid, pid, kind, edge, at, bytes, sends) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(o.oid, o.pid, o.kind, o.edge, o.at, o.bytes ? Buffer.from(o.bytes) : null, o.sends ?? 1);
  }
  order(oid: string): OrderRecord | undefined {
    const r = this.st('SELECT oid, pid, kind, edge, at, bytes, sends FROM orders WHERE oid = ?').get(oid) as OrderRow | undefined;
    if (!r) return undefined;
    const o: OrderRecord = { oid: r.oid, pid: r.pid, kind: r.kind, edge: r.edge, at: r.at, sends: r.sends };
    if (r.bytes !== null) o.bytes = new Uint8Array(r.bytes);
    return o;
  }
  orderSent(oid: string): void {
    this.st('UPDATE orders SET sends = sends + 1 WHERE oid = ?').run(oid);
  }

  openCharging(recs: ChargingRecord[]): void {
    const ins = this.st('INSERT INTO charging (imsi, pid, service, edge, start, stop) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pid, service) DO NOTHING');
    this.tx(() => { for (const r of recs) ins.run(r.imsi, r.pid, r.service, r.edge, r.start, r.stop ?? null); });
  }
  closeCharging(pid: string, stop: number): void {
    this.st('UPDATE charging SET stop = max(start, ?) WHERE pid = ? AND stop IS NULL').run(stop, pid);
  }
  charging(range: { from?: number; to?: number } = {}): ChargingRecord[] {
    const rows = this.st(`SELECT imsi, pid, service, edge, start, stop FROM charging
      WHERE (@to IS NULL OR start < @to) AND (@from IS NULL OR stop IS NULL OR stop >= @from) ORDER BY start, rowid`)
      .all({ from: range.from ?? null, to: range.to ?? null }) as ChargingRow[];
    return rows.map(toCharging);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
  close(): void {
    if (this.db.open) this.db.close();
  }
}
