// The agent's SQLite schema (better-sqlite3, WAL). One file per edge state directory; an
// in-memory database when the agent runs without one (tests, the demo).
//
// orders      applied order ids (replay answers survive restarts), forgotten after expiry
// events      every answer sent or owed, in order; `sent` = 0 is the outbox (published on start-up)
// provisions  the desired state: one row per provisioning id (see reconcile/types.ts Provision)
// grace       shared instance keys whose last device left, and until when they are kept
// ports       the port each instance key last served on: a restarted instance asks for it again,
//             so the endpoint a device was given stays valid across restarts (version 2)
export const SCHEMA_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  oid TEXT PRIMARY KEY,
  exp INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  oid TEXT NOT NULL,
  body TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_oid ON events (oid);
CREATE TABLE IF NOT EXISTS provisions (
  pid TEXT PRIMARY KEY,
  oid TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'failed', 'removing')),
  imsi TEXT NOT NULL,
  services TEXT NOT NULL,
  fail_msg TEXT,
  at INTEGER NOT NULL,
  seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS grace (
  key TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ports (
  key TEXT PRIMARY KEY,
  port INTEGER NOT NULL
);
`;
