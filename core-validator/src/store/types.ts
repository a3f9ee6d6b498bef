// The core's persistent state behind one interface, so the embedded SQLite store and a shared
// PostgreSQL database are interchangeable (KyselyStore, one code path for both). Every method is
// async because a networked database is. The core runs its handlers one at a time (core.ts
// `serial`), so a QoS 1 redelivery still cannot interleave with the first delivery inside one
// process; across processes sharing a database, the operations that must be atomic are single
// statements (nonce take: DELETE ... RETURNING; seq raise: conditional upsert; state changes:
// compare-and-set `transition`; request claims: insert-if-absent) or run in `tx` (README "Scale-out").
import type { Endpoint } from '@simedge/device-sdk/wire';

export type ProvisionState = 'STARTING' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'FAILED_TEMP' | 'REMOVING' | 'REMOVED';

/** States in which a provision holds (or may hold) resources on an edge. */
export const ACTIVE_STATES: readonly ProvisionState[] = ['STARTING', 'PROCESSING', 'COMPLETED'];

/** Why a provision ended; sent to the device in `term`. */
/** A device notification (`ready`, `term`, a deploy's `rej`) written in the transaction of the
 *  state change it reports and deleted once the broker has it: a core that dies in between
 *  leaves it to be sent by the core that takes over, or by its own restart (src/outbox.ts). */
export interface OutboxRecord { id: string; imsi: string; payload: Uint8Array; owner: string; at: number }

export type EndReason = 'bye' | 'detach' | 'roam' | 'timeout' | 'lease' | 'suspended' | 'revoked';

export type SubscriberStatus = 'active' | 'suspended';

/** A subscription's quota; an absent limit falls back to the core policy's default plan. */
export interface Plan {
  /** Provisions of the IMSI holding edge resources at once (STARTING, PROCESSING, COMPLETED). */
  maxProvisions?: number;
  /** Services one template may ask for. */
  maxServices?: number;
}

export interface Subscriber {
  imsi: string;
  iccid: string;
  /** IoT SAFE applet public key (P-256) registered for this ICCID: SPKI DER or an uncompressed point. */
  simKey?: Uint8Array;
  /** Absent = active. */
  status?: SubscriberStatus;
  plan?: Plan;
}

export interface TrustKey {
  kid: string;
  publicKey: Uint8Array;
  /** Manufacturer the key signs for; must equal the template's `mfr`. */
  mfr: string;
  /** Device classes the key may sign for; absent = any class of this manufacturer. */
  classes?: string[];
  /** Validity window in seconds since the epoch; absent = unbounded. */
  notBefore?: number;
  notAfter?: number;
  revoked?: boolean;
}

export interface AttachRecord {
  imsi: string; ip: string; plmn: string; cell: string; at: number;
  /** Tracking area, when the network reports it (3GPP User-Location-Info); a placement key like the cell. */
  tai?: string;
  /** The RADIUS NAS (PGW/SMF) that reported this attach, as the intake names it (radius/accounting.ts
   *  `nasName`): an Accounting-On/Off from it ends the attach [RFC2866 §5.1]. Absent for an attach
   *  reported otherwise (the `attach()` method without a session). */
  nas?: string;
  /** Its Acct-Session-Id [RFC2866 §5.5], with `nas`. */
  session?: string;
}

/** Why placement chose an edge: which table rule matched, and the edges passed over on the way. */
export interface PlacementRecord {
  rule: 'cell-map' | 'serving-cell' | 'cost';
  /** The location key (cell or TAI) the rule matched on. */
  loc: string;
  cost?: number;
  skipped: { edge: string; why: 'unknown' | 'offline' | 'no-capacity' }[];
  /** One line for operators, e.g. "cell-map cell-a1 -> edge-a". */
  reason: string;
}

/** One billable stretch of one service of a provision on an edge (ms since the epoch). */
export interface ChargingRecord { imsi: string; pid: string; service: string; edge: string; start: number; stop?: number }

export interface ProvisionRecord {
  pid: string;
  imsi: string;
  edge: string;
  state: ProvisionState;
  tid: string;
  cls: string;
  /** The device request (prov rid) that created it. */
  rid: string;
  /** The order currently in flight or last sent for it (deploy, then remove). */
  oid: string;
  /** ms since the epoch */
  created: number;
  updated: number;
  /** ms since the epoch by which the current order must be answered (in-flight states only). */
  deadline?: number;
  /** Failure code (FAILED, FAILED_TEMP). */
  code?: string;
  endWhy?: EndReason;
  /** The bye rid that ended it, so a redelivered bye can be answered again. */
  endRid?: string;
  /** Endpoints reported by the edge on `ready`. */
  svc?: Endpoint[];
  /** Template sequence number (anti-rollback is raised to it when the provision is accepted). */
  seq?: number;
  mfr?: string;
  /** The manufacturer key (kid) that signed the template: a revocation tears its provisions down. */
  kid?: string;
  /** Names of the template's services (charging records). */
  services?: string[];
  placement?: PlacementRecord;
  /** Lease end (ms): the provision is torn down with `term {why: 'lease'}` then. */
  leaseUntil?: number;
  /** The device attached where another edge serves it: torn down (`roam`) then unless it re-provisions. */
  roamBy?: number;
  /** The core that runs its timers (deadline, retry, lease); taken over when that core's lease lapses. */
  owner?: string;
}

export interface OrderRecord {
  oid: string; pid: string; kind: 'deploy' | 'remove'; edge: string; at: number;
  /** The signed order as published, so a retry re-sends the very same bytes (same oid). */
  bytes?: Uint8Array;
  /** How many times it was published. */
  sends?: number;
}

export type ProvisionPatch = Partial<Pick<ProvisionRecord, 'state' | 'oid' | 'deadline' | 'code' | 'endWhy' | 'endRid' | 'svc' | 'roamBy' | 'leaseUntil' | 'owner'>> & { updated: number };

export type RequestClaim = { kind: 'new' } | { kind: 'done'; reply: Uint8Array | undefined } | { kind: 'busy'; owner: string };

export interface CoreStore {
  // registry and trust
  addSubscriber(s: Subscriber): Promise<void>;
  subscriber(imsi: string): Promise<Subscriber | undefined>;
  addTrustKey(k: TrustKey): Promise<void>;
  trustKey(kid: string): Promise<TrustKey | undefined>;
  /** The whole trust store, revoked keys included, by kid. */
  trustKeys(): Promise<TrustKey[]>;
  setSubscriberStatus(imsi: string, status: SubscriberStatus): Promise<void>;
  /** Cell or TAI -> edge placement table. */
  setCellEdge(cell: string, edge: string): Promise<void>;
  edgeForCell(cell: string): Promise<string | undefined>;
  /** Fallback placement: the cost of serving a cell or TAI from an edge (lower is nearer). */
  setEdgeCost(loc: string, edge: string, cost: number): Promise<void>;
  edgeCosts(loc: string): Promise<{ edge: string; cost: number }[]>;
  /** The whole cell/TAI table, by location key. */
  cellEdges(): Promise<{ loc: string; edge: string }[]>;
  /** Remove a location key's entry; false when there was none. */
  deleteCellEdge(cell: string): Promise<boolean>;
  /** The whole cost table, by location key, then cost, then edge. */
  allEdgeCosts(): Promise<{ loc: string; edge: string; cost: number }[]>;
  /** Remove one (location, edge) cost; false when there was none. */
  deleteEdgeCost(loc: string, edge: string): Promise<boolean>;

  // anti-rollback: highest accepted template seq per (manufacturer, template id)
  templateSeq(mfr: string, tid: string): Promise<number | undefined>;
  /** Raise the stored seq to `seq` (never lowers it). False when a higher seq is stored: one
   *  statement, so a core learns atomically that another accepted a newer template meanwhile. */
  raiseTemplateSeq(mfr: string, tid: string, seq: number): Promise<boolean>;

  // network attach records (step 201)
  upsertAttach(a: AttachRecord): Promise<void>;
  attachOf(imsi: string): Promise<AttachRecord | undefined>;
  deleteAttach(imsi: string): Promise<void>;
  /** Delete the attach records NAS `nas` reported at or before `at` (ms) and return them: an
   *  Accounting-On/Off [RFC2866 §5.1] ends every session the NAS held. One statement, so of
   *  several cores ending the same NAS's sessions (each heard the On, or it was repeated) each
   *  record goes to exactly one. A record reported after `at` (a session begun after the NAS
   *  restarted) stays. */
  endNasSessions(nas: string, at: number): Promise<AttachRecord[]>;

  // challenge nonces: single-use, bound to an IMSI, with an expiry (ms)
  putNonce(imsi: string, nonce: Uint8Array, expires: number, now: number): Promise<void>;
  /** Consume the nonce; true only if it existed, belonged to `imsi` and had not expired. */
  takeNonce(imsi: string, nonce: Uint8Array, now: number): Promise<boolean>;

  // request replies, for idempotent handling of redelivered device messages
  reply(imsi: string, t: string, rid: string): Promise<{ reply: Uint8Array | undefined } | undefined>;
  /** Store the answer; the request counts as handled (its claim, if any, ends). */
  putReply(imsi: string, t: string, rid: string, reply: Uint8Array | undefined, at: number): Promise<void>;
  /** Insert-if-absent claim of a device request by core `owner` (README "Scale-out"): `new` = handle
   *  it (also when the claim was ours or its core's lease lapsed), `done` = answered before (re-send
   *  `reply`), `busy` = another live core is handling it right now. */
  claimRequest(imsi: string, t: string, rid: string, owner: string, now: number): Promise<RequestClaim>;
  /** Drop our unfinished claim (the handler failed), so a redelivery is handled afresh. */
  releaseRequest(imsi: string, t: string, rid: string, owner: string): Promise<void>;

  // operations
  createProvision(p: ProvisionRecord): Promise<void>;
  provision(pid: string): Promise<ProvisionRecord | undefined>;
  provisions(filter?: { imsi?: string; state?: string; kid?: string }): Promise<ProvisionRecord[]>;
  updateProvision(pid: string, patch: ProvisionPatch): Promise<void>;
  /** Compare-and-set: apply `patch` only if the provision is in one of `from`; the new record, or
   *  undefined when another core (or an earlier message) moved it first. One statement. */
  transition(pid: string, from: readonly ProvisionState[], patch: ProvisionPatch): Promise<ProvisionRecord | undefined>;

  // liveness leases of the cores sharing the database
  /** Insert or extend core `owner`'s lease to `until` (ms). */
  renewLease(owner: string, until: number): Promise<void>;
  dropLease(owner: string): Promise<void>;
  /** Delete the lease rows that lapsed before `before` (ms): crashed cores', long after the sweep
   *  adopted their work. A missing row counts as lapsed wherever leases are read (adoption, claim
   *  takeover), so this changes no decision; it only keeps the table from growing with every
   *  core that ever ran. Returns how many. */
  sweepLeases(before: number): Promise<number>;
  /** Take over the provisions in `states` whose owner holds no live lease at `now` (crashed,
   *  stopped, or none): they become `owner`'s; returns them. One statement. `FAILED_TEMP` rows
   *  qualify only while a timed-out deploy's clean-up remove is pending (no end reason, deadline
   *  after `now`, current oid a remove order). */
  adoptOrphans(owner: string, states: readonly ProvisionState[], now: number): Promise<ProvisionRecord[]>;
  // device notifications committed with the state change they report (src/outbox.ts)
  putOutbox(r: OutboxRecord): Promise<void>;
  deleteOutbox(id: string): Promise<void>;
  /** Take over the notifications whose owner holds no live lease at `now` (a crashed core's, or
   *  a previous run's): they become `owner`'s; returns them in the order they were written. One statement. */
  adoptOutbox(owner: string, now: number): Promise<OutboxRecord[]>;
  createOrder(o: OrderRecord): Promise<void>;
  order(oid: string): Promise<OrderRecord | undefined>;
  /** Count one more publication of the order. */
  orderSent(oid: string): Promise<void>;

  // retention
  /** Delete what only served redeliveries and edge re-sends, older than `before` (ms): answered
   *  request records (claims still being handled stay), and orders no unfinished provision
   *  (STARTING, PROCESSING, COMPLETED, REMOVING) points at. Provisions and charging records stay. */
  sweep(before: number): Promise<{ requests: number; orders: number }>;

  // charging records
  /** Open one record per service; a second call for the same (pid, service) changes nothing. */
  openCharging(recs: ChargingRecord[]): Promise<void>;
  /** Close the open records of a provision. */
  closeCharging(pid: string, stop: number): Promise<void>;
  /** Records overlapping [from, to) (ms), oldest first. */
  charging(range?: { from?: number; to?: number }): Promise<ChargingRecord[]>;

  /** Run `fn` atomically: every call it makes on `tx` (not on this store) is one transaction,
   *  committed when its promise resolves and rolled back when it rejects. */
  tx<T>(fn: (tx: CoreStore) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
