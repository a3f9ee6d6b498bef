// The legacy SQLite schema of the core store, as the pre-kysely store applied it by PRAGMA
// user_version. Kept as the reference the kysely migrations (migrations.ts) mirror step for step,
// and to write old-format files in the adoption test. Times are ms since the epoch unless a
// column says otherwise.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE subscribers (imsi TEXT PRIMARY KEY, iccid TEXT NOT NULL);
   CREATE TABLE trust_keys (
     kid TEXT PRIMARY KEY, public_key BLOB NOT NULL, mfr TEXT NOT NULL, classes TEXT,
     not_before INTEGER, not_after INTEGER, revoked INTEGER NOT NULL DEFAULT 0); -- window in seconds
   CREATE TABLE cell_edges (cell TEXT PRIMARY KEY, edge TEXT NOT NULL);
   CREATE TABLE attach (imsi TEXT PRIMARY KEY, ip TEXT NOT NULL, plmn TEXT NOT NULL, cell TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE TABLE nonces (nonce BLOB PRIMARY KEY, imsi TEXT NOT NULL, expires INTEGER NOT NULL);
   CREATE TABLE requests (imsi TEXT NOT NULL, t TEXT NOT NULL, rid TEXT NOT NULL, reply BLOB, at INTEGER NOT NULL,
     PRIMARY KEY (imsi, t, rid));
   CREATE TABLE provisions (
     pid TEXT PRIMARY KEY, imsi TEXT NOT NULL, edge TEXT NOT NULL, state TEXT NOT NULL,
     tid TEXT NOT NULL, cls TEXT NOT NULL, rid TEXT NOT NULL, oid TEXT NOT NULL,
     created INTEGER NOT NULL, updated INTEGER NOT NULL, deadline INTEGER, code TEXT,
     end_why TEXT, end_rid TEXT, svc TEXT);
   CREATE INDEX provisions_imsi ON provisions (imsi, state);
   CREATE TABLE orders (oid TEXT PRIMARY KEY, pid TEXT NOT NULL, kind TEXT NOT NULL, edge TEXT NOT NULL, at INTEGER NOT NULL);`,
  // 2: SIM identity and plans, anti-rollback, fallback placement costs, retries, leases, charging.
  `ALTER TABLE subscribers ADD COLUMN sim_key BLOB;
   ALTER TABLE subscribers ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
   ALTER TABLE subscribers ADD COLUMN plan TEXT; -- JSON Plan
   ALTER TABLE attach ADD COLUMN tai TEXT;
   CREATE TABLE edge_costs (loc TEXT NOT NULL, edge TEXT NOT NULL, cost REAL NOT NULL, PRIMARY KEY (loc, edge));
   CREATE TABLE template_seq (mfr TEXT NOT NULL, tid TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (mfr, tid));
   ALTER TABLE provisions ADD COLUMN seq INTEGER;
   ALTER TABLE provisions ADD COLUMN mfr TEXT;
   ALTER TABLE provisions ADD COLUMN services TEXT; -- JSON string[]
   ALTER TABLE provisions ADD COLUMN placement TEXT; -- JSON PlacementRecord
   ALTER TABLE provisions ADD COLUMN lease_until INTEGER;
   ALTER TABLE provisions ADD COLUMN roam_by INTEGER;
   ALTER TABLE orders ADD COLUMN bytes BLOB;
   ALTER TABLE orders ADD COLUMN sends INTEGER NOT NULL DEFAULT 1;
   CREATE TABLE charging (
     imsi TEXT NOT NULL, pid TEXT NOT NULL, service TEXT NOT NULL, edge TEXT NOT NULL,
     start INTEGER NOT NULL, stop INTEGER, PRIMARY KEY (pid, service));
   CREATE INDEX charging_start ON charging (start);`,
];
