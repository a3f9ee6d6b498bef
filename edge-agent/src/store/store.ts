// The desired-state store: everything the agent must not forget across a crash. Every change that
// goes with an answer is one transaction with that answer's outbox row, so an answer is either
// owed (and published on the next start) or the change never happened. Synchronous on purpose
// (better-sqlite3): nothing can interleave between "persist" and the step that follows it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgeEvent } from '@simedge/device-sdk/wire';
import type { DesiredService, Provision } from '../reconcile/types.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

export interface OutboxRow {
  seq: number;
  ev: EdgeEvent;
}

interface ProvisionRow {
  pid: string;
  oid: string;
  state: Provision['state'];
  imsi: string;
  services: string;
  fail_msg: string | null;
  at: number;
  seq: number;
}

export class StateStore {
  private readonly db: Database.Database;

  /** Open (creating) `<stateDir>/edge.sqlite`, or an in-memory store without a directory. */
  constructor(stateDir?: string) {
    if (stateDir !== undefined) mkdirSync(stateDir, { recursive: true });
    this.db = new Database(stateDir === undefined ? ':memory:' : join(stateDir, 'edge.sqlite'));
    // WAL + synchronous=FULL: a committed transaction survives a crash of the agent (and of the box).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    const v = this.db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) throw new Error(`state store: schema ${v} is newer than this agent (${SCHEMA_VERSION})`);
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  close(): void {
    this.db.close();
  }

  // ---- journal of applied orders (replay) ----

  /** Answers recorded for `oid` (sent or owed), or undefined when the order is new. */
  orderEvents(oid: string): EdgeEvent[] | undefined {
    if (!this.db.prepare('SELECT 1 FROM orders WHERE oid = ?').get(oid)) return undefined;
    const rows = this.db.prepare('SELECT body FROM events WHERE oid = ? ORDER BY seq').all(oid) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as EdgeEvent);
  }

  /** Forget orders past their expiry and their sent answers (journal.ts says why that is safe). */
  pruneOrders(nowMs: number): void {
    this.db.transaction(() => {
      const old = this.db.prepare('SELECT oid FROM orders WHERE exp * 1000 <= ?').all(nowMs) as Array<{ oid: string }>;
      for (const { oid } of old) {
        this.db.prepare('DELETE FROM events WHERE oid = ? AND sent = 1').run(oid);
        this.db.prepare('DELETE FROM orders WHERE oid = ?').run(oid);
      }
    })();
  }

  /** Record an order as applied with its first answers (e.g. rcvd, or rcvd + fail), in one transaction. */
  acceptOrder(oid: string, exp: number, events: EdgeEvent[], change?: () => void): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO orders (oid, exp) VALUES (?, ?)').run(oid, exp);
      for (const ev of events) this.addEvent(ev);
      change?.();
    })();
  }

  // ---- outbox ----

  unsent(): OutboxRow[] {
    const rows = this.db.prepare('SELECT seq, body FROM events WHERE sent = 0 ORDER BY seq').all() as Array<{ seq: number; body: string }>;
    return rows.map((r) => ({ seq: r.seq, ev: JSON.parse(r.body) as EdgeEvent }));
  }

  /**
   * Start-up: a `ready` recorded but never sent names endpoints of the previous run, which may be
   * gone. Take it back and make its provision pending again, so the reconciler answers with the
   * endpoints that really serve now (readiness stays truthful across a crash).
   */
  reopenUnsentReady(): number {
    return this.db.transaction(() => {
      const rows = this.unsent().filter((r) => r.ev.t === 'ready');
      for (const r of rows) {
        this.db.prepare('DELETE FROM events WHERE seq = ?').run(r.seq);
        this.db.prepare(`UPDATE provisions SET state = 'pending' WHERE pid = ? AND oid = ? AND state = 'ready'`).run(r.ev.pid, r.ev.oid);
      }
      return rows.length;
    })();
  }

  markSent(seq: number): void {
    this.db.prepare('UPDATE events SET sent = 1 WHERE seq = ?').run(seq);
  }

  private addEvent(ev: EdgeEvent): void {
    this.db.prepare('INSERT INTO events (oid, body) VALUES (?, ?)').run(ev.oid, JSON.stringify(ev));
  }

  // ---- desired state ----

  provisions(): Provision[] {
    const rows = this.db.prepare('SELECT * FROM provisions ORDER BY seq').all() as ProvisionRow[];
    return rows.map((r) => {
      const p: Provision = { pid: r.pid, oid: r.oid, state: r.state, imsi: r.imsi, services: JSON.parse(r.services) as DesiredService[], at: r.at, seq: r.seq };
      if (r.fail_msg !== null) p.failMsg = r.fail_msg;
      return p;
    });
  }

  provision(pid: string): Provision | undefined {
    return this.provisions().find((p) => p.pid === pid);
  }

  /** A deploy replaces the pid's desired services (the latest order is the desired state). Call inside acceptOrder. */
  putDeploy(pid: string, oid: string, imsi: string, services: DesiredService[], at: number): void {
    this.db.prepare(
      `INSERT INTO provisions (pid, oid, state, imsi, services, fail_msg, at, seq)
       VALUES (?, ?, 'pending', ?, ?, NULL, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM provisions))
       ON CONFLICT (pid) DO UPDATE SET oid = excluded.oid, state = 'pending', imsi = excluded.imsi,
         services = excluded.services, fail_msg = NULL, at = excluded.at, seq = excluded.seq`,
    ).run(pid, oid, imsi, JSON.stringify(services), at);
  }

  /** A remove: the pid wants nothing; `removed` is owed once its private instances are gone. Call inside acceptOrder. */
  putRemove(pid: string, oid: string, imsi: string, at: number): void {
    this.db.prepare(
      `INSERT INTO provisions (pid, oid, state, imsi, services, fail_msg, at, seq)
       VALUES (?, ?, 'removing', ?, '[]', NULL, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM provisions))
       ON CONFLICT (pid) DO UPDATE SET oid = excluded.oid, state = 'removing', at = excluded.at`,
    ).run(pid, oid, imsi, at);
  }

  /** A start failed for these pending provisions: they stop wanting instances; `fail` is owed. */
  markFailed(pids: string[], msg: string): void {
    this.db.transaction(() => {
      for (const pid of pids) this.db.prepare(`UPDATE provisions SET state = 'failed', fail_msg = ? WHERE pid = ? AND state = 'pending'`).run(msg, pid);
    })();
  }

  /** Record the owed answer and settle the provision (ready: keep it; otherwise forget it). */
  answer(pid: string, ev: EdgeEvent): void {
    this.db.transaction(() => {
      this.addEvent(ev);
      if (ev.t === 'ready') this.db.prepare(`UPDATE provisions SET state = 'ready' WHERE pid = ?`).run(pid);
      else this.db.prepare('DELETE FROM provisions WHERE pid = ?').run(pid);
    })();
  }

  /** Devices (pids) currently using an instance key: the refcount of a shared instance. */
  refs(key: string): string[] {
    return this.provisions()
      .filter((p) => (p.state === 'pending' || p.state === 'ready') && p.services.some((s) => s.key === key))
      .map((p) => p.pid);
  }

  /**
   * Record an extra answer for an order already answered, without changing the desired state: a
   * `ready` that names the new endpoint of a restarted instance.
   */
  reannounce(ev: EdgeEvent): void {
    this.addEvent(ev);
  }

  // ---- ports (stable endpoints) ----

  port(key: string): number | undefined {
    const row = this.db.prepare('SELECT port FROM ports WHERE key = ?').get(key) as { port: number } | undefined;
    return row?.port;
  }

  setPort(key: string, port: number): void {
    this.db.prepare('INSERT INTO ports (key, port) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET port = excluded.port').run(key, port);
  }

  forgetPort(key: string): void {
    this.db.prepare('DELETE FROM ports WHERE key = ?').run(key);
  }

  // ---- shared instance grace ----

  grace(): Record<string, number> {
    const rows = this.db.prepare('SELECT key, until FROM grace').all() as Array<{ key: string; until: number }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.until]));
  }

  setGrace(key: string, until: number): void {
    this.db.prepare('INSERT INTO grace (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until').run(key, until);
  }

  clearGrace(key: string): void {
    this.db.prepare('DELETE FROM grace WHERE key = ?').run(key);
  }
}
