// CoreStore on kysely: the same queries for the embedded SQLite (better-sqlite3) and for a
// PostgreSQL shared by several core processes (pg). Open one with openStore() (open.ts).
// The schema is brought to the latest migration before the first query runs, so a store is
// usable as soon as it is constructed. Concurrency across processes rests on single statements
// that are atomic on both dialects: the nonce take is DELETE ... RETURNING (exactly one taker),
// the anti-rollback raise a conditional upsert (never lowers), charging opens with
// ON CONFLICT DO NOTHING, provision transitions are UPDATE ... WHERE state IN (...) RETURNING,
// request claims INSERT ... ON CONFLICT DO NOTHING; multi-row changes the core relies on run in tx().
import { Kysely, sql, type Compilable, type Dialect, type Insertable, type Selectable, type Transaction, type Updateable } from 'kysely';
import { checkPlan } from '../policy.js';
import { simPublicKey } from '../simproof.js';
import { bytes, copy, provisionRow, toAttach, toCharging, toOrder, toProvision, toSubscriber, toTrustKey, type DB, type ProvisionsTable } from './db.js';
import { migrateToLatest, type DialectKind } from './migrations.js';
import { PreparedQueries, type DirectSql } from './prepared.js';
import { ACTIVE_STATES } from './types.js';
import type {
  AttachRecord, ChargingRecord, CoreStore, OrderRecord, OutboxRecord, ProvisionPatch, ProvisionRecord, ProvisionState, RequestClaim, Subscriber, SubscriberStatus, TrustKey,
} from './types.js';

const PATCH_COLUMNS: { [K in keyof ProvisionPatch]-?: keyof ProvisionsTable } = {
  state: 'state', oid: 'oid', deadline: 'deadline', code: 'code', endWhy: 'end_why', endRid: 'end_rid', svc: 'svc', updated: 'updated',
  roamBy: 'roam_by', leaseUntil: 'lease_until', owner: 'owner',
};
const SUBSCRIBER_STATUS: readonly SubscriberStatus[] = ['active', 'suspended'];
/** States whose provision may still need its current order (a re-send, a late edge event). */
const UNFINISHED_STATES: ProvisionState[] = [...ACTIVE_STATES, 'REMOVING'];

/** The queries, over the root connection or over one transaction. Fixed-shape queries go
 *  through `prepared` (compiled once per store, prepared.ts); the few whose shape depends on a
 *  filter or a patch name their shape. */
abstract class Queries implements CoreStore {
  protected constructor(readonly kind: DialectKind, protected readonly prepared: PreparedQueries) {}
  protected abstract conn(): Kysely<DB> | Promise<Kysely<DB>>;
  /** The SQLite handle's direct runner when this caller may use it right now, else undefined. */
  protected abstract directSql(): DirectSql | undefined;
  abstract tx<T>(fn: (tx: CoreStore) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;

  protected async q<A extends unknown[], R>(name: string, build: (db: Kysely<DB>, ...args: A) => Compilable<R>, ...args: A): Promise<R[]> {
    const db = await this.conn();
    // Checked and used in the same tick: prepared.run calls it before any await.
    return this.prepared.run(db, name, build, args, this.directSql());
  }

  /** Insertion order where timestamps tie: SQLite's rowid, PostgreSQL's `ord` bigserial. */
  private get insertOrder() {
    return this.kind === 'sqlite' ? sql`rowid` : sql`ord`;
  }

  async addSubscriber(s: Subscriber): Promise<void> {
    // Refuse a key the proof check could never use, at registration rather than at the first prov.
    if (s.simKey !== undefined) simPublicKey(s.simKey);
    const status = s.status ?? 'active';
    if (!SUBSCRIBER_STATUS.includes(status)) throw new TypeError(`subscriber: status must be one of ${SUBSCRIBER_STATUS.join(', ')}`);
    const plan = s.plan ? JSON.stringify(checkPlan(s.plan)) : null;
    await this.q('addSubscriber', (db, imsi: string, iccid: string, simKey: Buffer | null, st: string, pl: string | null) =>
      db.insertInto('subscribers').values({ imsi, iccid, sim_key: simKey, status: st, plan: pl })
        .onConflict((oc) => oc.column('imsi').doUpdateSet((eb) => ({
          iccid: eb.ref('excluded.iccid'), sim_key: eb.ref('excluded.sim_key'), status: eb.ref('excluded.status'), plan: eb.ref('excluded.plan'),
        }))), s.imsi, s.iccid, s.simKey ? bytes(s.simKey) : null, status, plan);
  }
  async subscriber(imsi: string): Promise<Subscriber | undefined> {
    const [r] = await this.q('subscriber', (db, i: string) => db.selectFrom('subscribers').selectAll().where('imsi', '=', i), imsi);
    return r ? toSubscriber(r) : undefined;
  }
  async setSubscriberStatus(imsi: string, status: SubscriberStatus): Promise<void> {
    if (!SUBSCRIBER_STATUS.includes(status)) throw new TypeError(`subscriber: status must be one of ${SUBSCRIBER_STATUS.join(', ')}`);
    await this.q('setSubscriberStatus', (db, i: string, st: string) => db.updateTable('subscribers').set({ status: st }).where('imsi', '=', i), imsi, status);
  }

  async addTrustKey(k: TrustKey): Promise<void> {
    if (!(k.publicKey instanceof Uint8Array) || k.publicKey.length !== 32) throw new TypeError('trust key: publicKey must be 32 bytes (Ed25519)');
    await this.q('addTrustKey', (db, kid: string, pub: Buffer, mfr: string, classes: string | null, nb: number | null, na: number | null, revoked: number) =>
      db.insertInto('trust_keys').values({ kid, public_key: pub, mfr, classes, not_before: nb, not_after: na, revoked })
        .onConflict((oc) => oc.column('kid').doUpdateSet((eb) => ({
          public_key: eb.ref('excluded.public_key'), mfr: eb.ref('excluded.mfr'), classes: eb.ref('excluded.classes'),
          not_before: eb.ref('excluded.not_before'), not_after: eb.ref('excluded.not_after'), revoked: eb.ref('excluded.revoked'),
        }))),
    k.kid, bytes(k.publicKey), k.mfr, k.classes ? JSON.stringify(k.classes) : null, k.notBefore ?? null, k.notAfter ?? null, k.revoked ? 1 : 0);
  }
  async trustKey(kid: string): Promise<TrustKey | undefined> {
    const [r] = await this.q('trustKey', (db, k: string) => db.selectFrom('trust_keys').selectAll().where('kid', '=', k), kid);
    return r ? toTrustKey(r) : undefined;
  }
  async trustKeys(): Promise<TrustKey[]> {
    const rows = await this.q('trustKeys', (db) => db.selectFrom('trust_keys').selectAll().orderBy('kid'));
    return rows.map(toTrustKey);
  }

  async setCellEdge(cell: string, edge: string): Promise<void> {
    await this.q('setCellEdge', (db, c: string, e: string) => db.insertInto('cell_edges').values({ cell: c, edge: e })
      .onConflict((oc) => oc.column('cell').doUpdateSet((eb) => ({ edge: eb.ref('excluded.edge') }))), cell, edge);
  }
  async edgeForCell(cell: string): Promise<string | undefined> {
    const [r] = await this.q('edgeForCell', (db, c: string) => db.selectFrom('cell_edges').select('edge').where('cell', '=', c), cell);
    return r?.edge;
  }
  async setEdgeCost(loc: string, edge: string, cost: number): Promise<void> {
    if (!Number.isFinite(cost) || cost < 0) throw new RangeError('edge cost must be a finite number >= 0');
    await this.q('setEdgeCost', (db, l: string, e: string, c: number) => db.insertInto('edge_costs').values({ loc: l, edge: e, cost: c })
      .onConflict((oc) => oc.columns(['loc', 'edge']).doUpdateSet((eb) => ({ cost: eb.ref('excluded.cost') }))), loc, edge, cost);
  }
  async edgeCosts(loc: string): Promise<{ edge: string; cost: number }[]> {
    const rows = await this.q('edgeCosts', (db, l: string) => db.selectFrom('edge_costs').select(['edge', 'cost']).where('loc', '=', l).orderBy('cost').orderBy('edge'), loc);
    return rows.map((r) => ({ edge: r.edge, cost: r.cost }));
  }

  async cellEdges(): Promise<{ loc: string; edge: string }[]> {
    const rows = await this.q('cellEdges', (db) => db.selectFrom('cell_edges').select(['cell', 'edge']).orderBy('cell'));
    return rows.map((r) => ({ loc: r.cell, edge: r.edge }));
  }
  async deleteCellEdge(cell: string): Promise<boolean> {
    const rows = await this.q('deleteCellEdge', (db, c: string) => db.deleteFrom('cell_edges').where('cell', '=', c).returning('cell'), cell);
    return rows.length > 0;
  }
  async allEdgeCosts(): Promise<{ loc: string; edge: string; cost: number }[]> {
    const rows = await this.q('allEdgeCosts', (db) => db.selectFrom('edge_costs').select(['loc', 'edge', 'cost']).orderBy('loc').orderBy('cost').orderBy('edge'));
    return rows.map((r) => ({ loc: r.loc, edge: r.edge, cost: r.cost }));
  }
  async deleteEdgeCost(loc: string, edge: string): Promise<boolean> {
    const rows = await this.q('deleteEdgeCost', (db, l: string, e: string) => db.deleteFrom('edge_costs').where('loc', '=', l).where('edge', '=', e).returning('loc'), loc, edge);
    return rows.length > 0;
  }

  async templateSeq(mfr: string, tid: string): Promise<number | undefined> {
    const [r] = await this.q('templateSeq', (db, m: string, t: string) => db.selectFrom('template_seq').select('seq').where('mfr', '=', m).where('tid', '=', t), mfr, tid);
    return r?.seq;
  }
  async raiseTemplateSeq(mfr: string, tid: string, seq: number): Promise<boolean> {
    // Conditional upsert: concurrent raises from several cores leave the highest, never lower it.
    // A row comes back when it was inserted or raised (or was equal); none when a higher seq stays.
    const rows = await this.q('raiseTemplateSeq', (db, m: string, t: string, n: number) => db.insertInto('template_seq').values({ mfr: m, tid: t, seq: n })
      .onConflict((oc) => oc.columns(['mfr', 'tid']).doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq') }))
        .where((eb) => eb('template_seq.seq', '<=', eb.ref('excluded.seq'))))
      .returning('seq'), mfr, tid, seq);
    return rows.length > 0;
  }

  async upsertAttach(a: AttachRecord): Promise<void> {
    // The RADIUS session rides on the attach write itself: no second statement on the hot path.
    await this.q('upsertAttach', (db, imsi: string, ip: string, plmn: string, cell: string, at: number, tai: string | null, nas: string | null, session: string | null) =>
      db.insertInto('attach').values({ imsi, ip, plmn, cell, at, tai, nas, session })
        .onConflict((oc) => oc.column('imsi').doUpdateSet((eb) => ({
          ip: eb.ref('excluded.ip'), plmn: eb.ref('excluded.plmn'), cell: eb.ref('excluded.cell'), at: eb.ref('excluded.at'), tai: eb.ref('excluded.tai'),
          nas: eb.ref('excluded.nas'), session: eb.ref('excluded.session'),
        }))), a.imsi, a.ip, a.plmn, a.cell, a.at, a.tai ?? null, a.nas ?? null, a.session ?? null);
  }
  async attachOf(imsi: string): Promise<AttachRecord | undefined> {
    const [r] = await this.q('attachOf', (db, i: string) => db.selectFrom('attach').selectAll().where('imsi', '=', i), imsi);
    return r ? toAttach(r) : undefined;
  }
  async deleteAttach(imsi: string): Promise<void> {
    await this.q('deleteAttach', (db, i: string) => db.deleteFrom('attach').where('imsi', '=', i), imsi);
  }
  async endNasSessions(nas: string, at: number): Promise<AttachRecord[]> {
    // DELETE ... RETURNING: on PostgreSQL a second core's DELETE waits for the first one's row
    // locks and then finds the rows gone, so each record is returned to one caller.
    const rows = await this.q('endNasSessions', (db, n: string, a: number) =>
      db.deleteFrom('attach').where('nas', '=', n).where('at', '<=', a).returningAll(), nas, at);
    return rows.map(toAttach).sort((x, y) => x.at - y.at || (x.imsi < y.imsi ? -1 : 1));
  }

  async putNonce(imsi: string, nonce: Uint8Array, expires: number, now: number): Promise<void> {
    await this.q('sweepNonces', (db, n: number) => db.deleteFrom('nonces').where('expires', '<=', n), now);
    await this.q('putNonce', (db, n: Buffer, i: string, e: number) => db.insertInto('nonces').values({ nonce: n, imsi: i, expires: e }), bytes(nonce), imsi, expires);
  }
  async takeNonce(imsi: string, nonce: Uint8Array, now: number): Promise<boolean> {
    // One statement: of several cores racing for the same nonce, exactly one gets the row back.
    // Deleting whatever matches makes the nonce single-use even when the IMSI does not match.
    const [r] = await this.q('takeNonce', (db, n: Buffer) => db.deleteFrom('nonces').where('nonce', '=', n).returning(['imsi', 'expires']), bytes(nonce));
    return r !== undefined && r.imsi === imsi && now < r.expires;
  }

  async reply(imsi: string, t: string, rid: string): Promise<{ reply: Uint8Array | undefined } | undefined> {
    const [r] = await this.q('reply', (db, i: string, ty: string, rd: string) =>
      db.selectFrom('requests').select('reply').where('imsi', '=', i).where('t', '=', ty).where('rid', '=', rd), imsi, t, rid);
    if (!r) return undefined;
    return { reply: r.reply === null ? undefined : copy(r.reply) };
  }
  async putReply(imsi: string, t: string, rid: string, reply: Uint8Array | undefined, at: number): Promise<void> {
    // owner becomes null: the request is handled, whoever claimed it.
    await this.q('putReply', (db, i: string, ty: string, rd: string, rp: Buffer | null, a: number, o: null) => db.insertInto('requests').values({ imsi: i, t: ty, rid: rd, reply: rp, at: a, owner: o })
      .onConflict((oc) => oc.columns(['imsi', 't', 'rid']).doUpdateSet((eb) => ({ reply: eb.ref('excluded.reply'), at: eb.ref('excluded.at'), owner: eb.ref('excluded.owner') }))),
    imsi, t, rid, reply ? bytes(reply) : null, at, null);
  }
  async claimRequest(imsi: string, t: string, rid: string, owner: string, now: number): Promise<RequestClaim> {
    // A claim may vanish between the insert and the read (its core released it): try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ins = await this.q('claimRequest', (db, i: string, ty: string, rd: string, rp: null, a: number, o: string) => db.insertInto('requests')
        .values({ imsi: i, t: ty, rid: rd, reply: rp, at: a, owner: o }).onConflict((oc) => oc.columns(['imsi', 't', 'rid']).doNothing()).returning('rid'),
      imsi, t, rid, null, now, owner);
      if (ins.length > 0) return { kind: 'new' };
      const [r] = await this.q('requestClaim', (db, i: string, ty: string, rd: string) =>
        db.selectFrom('requests').select(['reply', 'owner']).where('imsi', '=', i).where('t', '=', ty).where('rid', '=', rd), imsi, t, rid);
      if (!r) continue;
      if (r.owner === null) return { kind: 'done', reply: r.reply === null ? undefined : copy(r.reply) };
      // Our own unfinished claim: the earlier attempt ended (this core handles one message at a time).
      // Another core's: take it over only if that core's lease has lapsed. Compare-and-set on the owner.
      const taken = await this.q('takeClaim', (db, o: string, a: number, i: string, ty: string, rd: string, was: string, me: string, n: number) => db.updateTable('requests')
        .set({ owner: o, at: a }).where('imsi', '=', i).where('t', '=', ty).where('rid', '=', rd).where('owner', '=', was)
        .where((eb) => eb.or([eb('owner', '=', me), eb('owner', 'not in', eb.selectFrom('core_leases').select('owner').where('until', '>', n))]))
        .returning('rid'), owner, now, imsi, t, rid, r.owner, owner, now);
      if (taken.length > 0) return { kind: 'new' };
      const [again] = await this.q('requestClaim', (db, i: string, ty: string, rd: string) =>
        db.selectFrom('requests').select(['reply', 'owner']).where('imsi', '=', i).where('t', '=', ty).where('rid', '=', rd), imsi, t, rid);
      if (!again) continue;
      if (again.owner === null) return { kind: 'done', reply: again.reply === null ? undefined : copy(again.reply) };
      return { kind: 'busy', owner: again.owner };
    }
    return { kind: 'busy', owner: 'unknown' };
  }
  async releaseRequest(imsi: string, t: string, rid: string, owner: string): Promise<void> {
    await this.q('releaseRequest', (db, i: string, ty: string, rd: string, o: string) =>
      db.deleteFrom('requests').where('imsi', '=', i).where('t', '=', ty).where('rid', '=', rd).where('owner', '=', o), imsi, t, rid, owner);
  }

  async renewLease(owner: string, until: number): Promise<void> {
    await this.q('renewLease', (db, o: string, u: number) => db.insertInto('core_leases').values({ owner: o, until: u })
      .onConflict((oc) => oc.column('owner').doUpdateSet((eb) => ({ until: eb.ref('excluded.until') }))), owner, until);
  }
  async dropLease(owner: string): Promise<void> {
    await this.q('dropLease', (db, o: string) => db.deleteFrom('core_leases').where('owner', '=', o), owner);
  }
  async sweepLeases(before: number): Promise<number> {
    const rows = await this.q('sweepLeases', (db, b: number) => db.deleteFrom('core_leases').where('until', '<', b).returning('owner'), before);
    return rows.length;
  }
  async adoptOrphans(owner: string, states: readonly ProvisionState[], now: number): Promise<ProvisionRecord[]> {
    // FAILED_TEMP is final but for one case: a timed-out deploy whose clean-up remove is still
    // being re-sent (lifecycle.ts onDeadline). Recognised from the row alone: no end reason (not a
    // removal that timed out), a deadline not passed yet (a confirmed clean-up clears it), and the
    // current oid naming a remove order (not the deploy of an older row's stale deadline). Any
    // other FAILED_TEMP row has nothing in flight and stays where it is.
    const held = states.filter((st) => st !== 'FAILED_TEMP');
    const cleanup = held.length < states.length;
    if (held.length === 0 && !cleanup) return [];
    // One UPDATE: on PostgreSQL a row another core took meanwhile is re-checked after its lock is
    // released and then has a live owner, so each orphan goes to one core.
    const rows = await this.q(`adoptOrphans:${held.length}:${cleanup}`, (db, o: string, n: number, failedTemp: string, removeKind: 'remove', ...st: string[]) =>
      db.updateTable('provisions').set({ owner: o })
        .where((eb) => eb.or([
          ...(st.length > 0 ? [eb('state', 'in', st)] : []),
          ...(cleanup ? [eb.and([
            eb('state', '=', failedTemp), eb('end_why', 'is', null), eb('deadline', '>', n),
            eb.exists(eb.selectFrom('orders').select('orders.oid').whereRef('orders.oid', '=', 'provisions.oid').where('orders.kind', '=', removeKind)),
          ])] : []),
        ]))
        .where((eb) => eb.or([eb('owner', 'is', null), eb('owner', 'not in', eb.selectFrom('core_leases').select('owner').where('until', '>', n))]))
        .returningAll(), owner, now, 'FAILED_TEMP', 'remove', ...held);
    return rows.map(toProvision);
  }

  async putOutbox(r: OutboxRecord): Promise<void> {
    await this.q('putOutbox', (db, id: string, i: string, p: Buffer, o: string, a: number) => db.insertInto('outbox').values({ id, imsi: i, payload: p, owner: o, at: a }),
      r.id, r.imsi, bytes(r.payload), r.owner, r.at);
  }
  async deleteOutbox(id: string): Promise<void> {
    await this.q('deleteOutbox', (db, i: string) => db.deleteFrom('outbox').where('id', '=', i), id);
  }
  async adoptOutbox(owner: string, now: number): Promise<OutboxRecord[]> {
    // One UPDATE, like adoptOrphans: each notification goes to one core.
    const rows = await this.q('adoptOutbox', (db, o: string, n: number) => db.updateTable('outbox').set({ owner: o })
      .where((eb) => eb.or([eb('owner', 'is', null), eb('owner', 'not in', eb.selectFrom('core_leases').select('owner').where('until', '>', n))]))
      .returning(['id', 'imsi', 'payload', 'at', sql<number>`${this.insertOrder}`.as('ord')]), owner, now);
    // RETURNING has no order of its own: insertion order, as committed.
    return rows.sort((a, b) => Number(a.ord) - Number(b.ord)).map((r) => ({ id: r.id, imsi: r.imsi, payload: copy(r.payload), owner, at: r.at }));
  }

  async createProvision(p: ProvisionRecord): Promise<void> {
    const r = provisionRow(p);
    await this.q('createProvision', (db, ...v: unknown[]) => db.insertInto('provisions').values(fromColumns(PROVISION_COLUMNS, v) as Insertable<ProvisionsTable>),
      ...PROVISION_COLUMNS.map((c) => r[c]));
  }
  async provision(pid: string): Promise<ProvisionRecord | undefined> {
    const [r] = await this.q('provision', (db, p: string) => db.selectFrom('provisions').selectAll().where('pid', '=', p), pid);
    return r ? toProvision(r) : undefined;
  }
  async provisions(filter: { imsi?: string; state?: string; kid?: string } = {}): Promise<ProvisionRecord[]> {
    const { imsi, state, kid } = filter;
    const args = [imsi, state, kid].filter((v): v is string => v !== undefined);
    const rows = await this.q(`provisions:${imsi !== undefined}:${state !== undefined}:${kid !== undefined}`, (db, ...a: string[]) => {
      let q = db.selectFrom('provisions').selectAll();
      let i = 0;
      if (imsi !== undefined) q = q.where('imsi', '=', a[i++] as string);
      if (state !== undefined) q = q.where('state', '=', a[i++] as string);
      if (kid !== undefined) q = q.where('kid', '=', a[i++] as string);
      return q.orderBy('created').orderBy(this.insertOrder);
    }, ...args);
    return rows.map(toProvision);
  }
  async updateProvision(pid: string, patch: ProvisionPatch): Promise<void> {
    await this.patchProvision(pid, undefined, patch);
  }
  async transition(pid: string, from: readonly ProvisionState[], patch: ProvisionPatch): Promise<ProvisionRecord | undefined> {
    if (from.length === 0) throw new TypeError('transition: at least one state to move from');
    const [r] = await this.patchProvision(pid, from, patch);
    return r ? toProvision(r) : undefined;
  }
  /** UPDATE one provision; with `from`, only while its state is one of them (compare-and-set), returning the new row. */
  private async patchProvision(pid: string, from: readonly ProvisionState[] | undefined, patch: ProvisionPatch): Promise<Selectable<ProvisionsTable>[]> {
    const keys = (Object.keys(patch) as (keyof ProvisionPatch)[]).filter((k) => Object.prototype.hasOwnProperty.call(PATCH_COLUMNS, k)).sort();
    if (keys.length === 0) return [];
    const values = keys.map((k) => {
      const v = patch[k];
      return v === undefined ? null : k === 'svc' ? JSON.stringify(v) : v;
    });
    const cols = keys.map((k) => PATCH_COLUMNS[k]);
    if (from === undefined) {
      await this.q(`updateProvision:${cols.join(',')}`, (db, p: string, ...v: unknown[]) =>
        db.updateTable('provisions').set(fromColumns(cols, v) as Updateable<ProvisionsTable>).where('pid', '=', p), pid, ...values);
      return [];
    }
    const n = from.length;
    return this.q(`transition:${n}:${cols.join(',')}`, (db, p: string, ...v: unknown[]) =>
      db.updateTable('provisions').set(fromColumns(cols, v.slice(n)) as Updateable<ProvisionsTable>)
        .where('pid', '=', p).where('state', 'in', v.slice(0, n) as string[]).returningAll(), pid, ...from, ...values);
  }

  async createOrder(o: OrderRecord): Promise<void> {
    await this.q('createOrder', (db, oid: string, pid: string, kind: 'deploy' | 'remove', edge: string, at: number, b: Buffer | null, sends: number) =>
      db.insertInto('orders').values({ oid, pid, kind, edge, at, bytes: b, sends }),
    o.oid, o.pid, o.kind, o.edge, o.at, o.bytes ? bytes(o.bytes) : null, o.sends ?? 1);
  }
  async order(oid: string): Promise<OrderRecord | undefined> {
    const [r] = await this.q('order', (db, o: string) => db.selectFrom('orders').selectAll().where('oid', '=', o), oid);
    return r ? toOrder(r) : undefined;
  }
  async orderSent(oid: string): Promise<void> {
    await this.q('orderSent', (db, o: string) => db.updateTable('orders').set({ sends: sql<number>`sends + 1` }).where('oid', '=', o), oid);
  }

  async sweep(before: number): Promise<{ requests: number; orders: number }> {
    const db = await this.conn();
    const req = await db.deleteFrom('requests').where('at', '<', before).where('owner', 'is', null).executeTakeFirst();
    // An order stays while it is its provision's current one and that provision is unfinished,
    // or is a timed-out deploy whose clean-up remove (this order) is still re-sent: no end reason
    // and a deadline within the retention window (retry.ts cleaningUp), whatever retentionSec is.
    const ord = await db.deleteFrom('orders').where('at', '<', before)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('provisions').select('pid')
        .whereRef('provisions.oid', '=', 'orders.oid')
        .where((p) => p.or([
          p('provisions.state', 'in', UNFINISHED_STATES),
          p.and([p('provisions.state', '=', 'FAILED_TEMP'), p('provisions.end_why', 'is', null), p('provisions.deadline', '>=', before)]),
        ])))))
      .executeTakeFirst();
    return { requests: Number(req.numDeletedRows), orders: Number(ord.numDeletedRows) };
  }

  async openCharging(recs: ChargingRecord[]): Promise<void> {
    if (recs.length === 0) return;
    // One multi-row statement: all of the provision's records open, or none.
    await (await this.conn()).insertInto('charging')
      .values(recs.map((r) => ({ imsi: r.imsi, pid: r.pid, service: r.service, edge: r.edge, start: r.start, stop: r.stop ?? null })))
      .onConflict((oc) => oc.columns(['pid', 'service']).doNothing())
      .execute();
  }
  async closeCharging(pid: string, stop: number): Promise<void> {
    // A record never ends before it starts (a clock step back between open and close).
    await this.q('closeCharging', (db, p: string, st: number, st2: number) => db.updateTable('charging')
      .set((eb) => ({ stop: eb.case().when('start', '>', st).then(eb.ref('start')).else(st2).end() }))
      .where('pid', '=', p).where('stop', 'is', null), pid, stop, stop);
  }
  async charging(range: { from?: number; to?: number } = {}): Promise<ChargingRecord[]> {
    const { from, to } = range;
    const args = [to, from].filter((v): v is number => v !== undefined);
    const rows = await this.q(`charging:${to !== undefined}:${from !== undefined}`, (db, ...a: number[]) => {
      let q = db.selectFrom('charging').select(['imsi', 'pid', 'service', 'edge', 'start', 'stop']);
      let i = 0;
      if (to !== undefined) q = q.where('start', '<', a[i++] as number);
      if (from !== undefined) { const f = a[i++] as number; q = q.where((eb) => eb.or([eb('stop', 'is', null), eb('stop', '>=', f)])); }
      return q.orderBy('start').orderBy(this.insertOrder);
    }, ...args);
    return rows.map(toCharging);
  }
}

const PROVISION_COLUMNS = [
  'pid', 'imsi', 'edge', 'state', 'tid', 'cls', 'rid', 'oid', 'created', 'updated', 'deadline', 'code', 'end_why', 'end_rid', 'svc',
  'seq', 'mfr', 'kid', 'services', 'placement', 'lease_until', 'roam_by', 'owner',
] as const satisfies readonly (keyof ProvisionsTable)[];

function fromColumns(cols: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  cols.forEach((c, i) => { o[c] = values[i]; });
  return o;
}

/** The store: a kysely instance over one dialect, migrated before its first query. */
export class KyselyStore extends Queries {
  private readonly root: Kysely<DB>;
  private ready: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  /** Transactions begun through tx() and not yet settled. */
  private openTx = 0;

  /** `direct`: the embedded SQLite's runner (open.ts). It is used inside tx() (the transaction
   *  holds the one connection) and at the root only while no transaction is open, since a
   *  statement run on the handle then would land in that transaction. */
  constructor(dialect: Dialect, kind: DialectKind, private readonly direct?: DirectSql) {
    super(kind, new PreparedQueries());
    this.root = new Kysely<DB>({ dialect });
    const ready = migrateToLatest(this.root as unknown as Kysely<unknown>, kind);
    this.ready = ready;
    // Settled: later calls skip the await. A failure stays and rejects every call with its reason.
    ready.then(() => { if (this.ready === ready) this.ready = undefined; }, () => {});
  }

  /** Resolves once the schema is migrated (rejects with the migration's error). */
  async init(): Promise<void> {
    await this.ready;
  }

  protected conn(): Kysely<DB> | Promise<Kysely<DB>> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    const ready = this.ready;
    return ready ? ready.then(() => this.root) : this.root;
  }

  protected directSql(): DirectSql | undefined {
    return this.openTx === 0 ? this.direct : undefined;
  }

  async tx<T>(fn: (tx: CoreStore) => Promise<T>): Promise<T> {
    const db = await this.conn();
    this.openTx++;
    try {
      return await db.transaction().execute((trx) => fn(new TxStore(trx, this.kind, this.prepared, this.direct)));
    } finally {
      this.openTx--;
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.ready?.catch(() => undefined);
      await this.root.destroy();
    })();
    return this.closed;
  }
}

/** The store inside one transaction; a nested tx() joins it. */
class TxStore extends Queries {
  constructor(private readonly trx: Transaction<DB>, kind: DialectKind, prepared: PreparedQueries, private readonly direct?: DirectSql) {
    super(kind, prepared);
  }
  protected conn(): Kysely<DB> {
    return this.trx;
  }
  protected directSql(): DirectSql | undefined {
    return this.direct;
  }
  tx<T>(fn: (tx: CoreStore) => Promise<T>): Promise<T> {
    return fn(this);
  }
  close(): Promise<void> {
    return Promise.reject(new Error('close() inside a transaction'));
  }
}
