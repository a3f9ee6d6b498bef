// CoreStore on SQLite (better-sqlite3): the embedded default. ':memory:' for tests and the demo;
// a file runs in WAL mode so readers (admin tools) never block the validator.
import type { Endpoint } from '@simedge/device-sdk/wire';
import { openDatabase, type Database, type Statement } from './sqlite-driver.js';
import { MIGRATIONS } from './schema.js';
import type {
  AttachRecord, CoreStore, EndReason, OrderRecord, ProvisionPatch, ProvisionRecord, ProvisionState, Subscriber, TrustKey,
} from './types.js';

interface ProvisionRow {
  pid: string; imsi: string; edge: string; state: string; tid: string; cls: string; rid: string; oid: string;
  created: number; updated: number; deadline: number | null; code: string | null;
  end_why: string | null; end_rid: string | null; svc: string | null;
}
interface TrustRow {
  kid: string; public_key: Uint8Array; mfr: string; classes: string | null;
  not_before: number | null; not_after: number | null; revoked: number;
}

const PATCH_COLUMNS: Record<keyof ProvisionPatch, string> = {
  state: 'state', oid: 'oid', deadline: 'deadline', code: 'code', endWhy: 'end_why', endRid: 'end_rid', svc: 'svc', updated: 'updated',
};

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
  return p;
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
    this.st('INSERT INTO subscribers (imsi, iccid) VALUES (?, ?) ON CONFLICT (imsi) DO UPDATE SET iccid = excluded.iccid').run(s.imsi, s.iccid);
  }
  subscriber(imsi: string): Subscriber | undefined {
    return this.st('SELECT imsi, iccid FROM subscribers WHERE imsi = ?').get(imsi) as Subscriber | undefined;
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

  upsertAttach(a: AttachRecord): void {
    this.st(`INSERT INTO attach (imsi, ip, plmn, cell, at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (imsi) DO UPDATE SET ip = excluded.ip, plmn = excluded.plmn, cell = excluded.cell, at = excluded.at`)
      .run(a.imsi, a.ip, a.plmn, a.cell, a.at);
  }
  attachOf(imsi: string): AttachRecord | undefined {
    return this.st('SELECT imsi, ip, plmn, cell, at FROM attach WHERE imsi = ?').get(imsi) as AttachRecord | undefined;
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
    this.st(`INSERT INTO provisions (pid, imsi, edge, state, tid, cls, rid, oid, created, updated, deadline, code, end_why, end_rid, svc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(p.pid, p.imsi, p.edge, p.state, p.tid, p.cls, p.rid, p.oid, p.created, p.updated, p.deadline ?? null, p.code ?? null,
        p.endWhy ?? null, p.endRid ?? null, p.svc ? JSON.stringify(p.svc) : null);
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
    this.st('INSERT INTO orders (oid, pid, kind, edge, at) VALUES (?, ?, ?, ?, ?)').run(o.oid, o.pid, o.kind, o.edge, o.at);
  }
  order(oid: string): OrderRecord | undefined {
    return this.st('SELECT oid, pid, kind, edge, at FROM orders WHERE oid = ?').get(oid) as OrderRecord | undefined;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
  close(): void {
    if (this.db.open) this.db.close();
  }
}
