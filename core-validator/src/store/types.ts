// The core's persistent state behind one interface, so the embedded SQLite store and a later
// PostgreSQL store (kysely) are interchangeable. Everything is synchronous on purpose: the SQLite
// implementation is, and a handler that validates and records a provision without yielding cannot
// race a QoS 1 redelivery of the same request. An async backend will wrap this contract.
import type { Endpoint } from '@simedge/device-sdk/wire';

export type ProvisionState = 'STARTING' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'FAILED_TEMP' | 'REMOVING' | 'REMOVED';

/** States in which a provision holds (or may hold) resources on an edge. */
export const ACTIVE_STATES: readonly ProvisionState[] = ['STARTING', 'PROCESSING', 'COMPLETED'];

/** Why a provision ended; sent to the device in `term`. */
export type EndReason = 'bye' | 'detach' | 'roam' | 'timeout' | 'lease';

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
  /** Names of the template's services (charging records). */
  services?: string[];
  placement?: PlacementRecord;
  /** Lease end (ms): the provision is torn down with `term {why: 'lease'}` then. */
  leaseUntil?: number;
  /** The device attached where another edge serves it: torn down (`roam`) then unless it re-provisions. */
  roamBy?: number;
}

export interface OrderRecord {
  oid: string; pid: string; kind: 'deploy' | 'remove'; edge: string; at: number;
  /** The signed order as published, so a retry re-sends the very same bytes (same oid). */
  bytes?: Uint8Array;
  /** How many times it was published. */
  sends?: number;
}

export type ProvisionPatch = Partial<Pick<ProvisionRecord, 'state' | 'oid' | 'deadline' | 'code' | 'endWhy' | 'endRid' | 'svc' | 'roamBy' | 'leaseUntil'>> & { updated: number };

export interface CoreStore {
  // registry and trust
  addSubscriber(s: Subscriber): void;
  subscriber(imsi: string): Subscriber | undefined;
  addTrustKey(k: TrustKey): void;
  trustKey(kid: string): TrustKey | undefined;
  setSubscriberStatus(imsi: string, status: SubscriberStatus): void;
  /** Cell or TAI -> edge placement table. */
  setCellEdge(cell: string, edge: string): void;
  edgeForCell(cell: string): string | undefined;
  /** Fallback placement: the cost of serving a cell or TAI from an edge (lower is nearer). */
  setEdgeCost(loc: string, edge: string, cost: number): void;
  edgeCosts(loc: string): { edge: string; cost: number }[];

  // anti-rollback: highest accepted template seq per (manufacturer, template id)
  templateSeq(mfr: string, tid: string): number | undefined;
  /** Raise the stored seq to `seq` (never lowers it). */
  raiseTemplateSeq(mfr: string, tid: string, seq: number): void;

  // network attach records (step 201)
  upsertAttach(a: AttachRecord): void;
  attachOf(imsi: string): AttachRecord | undefined;
  deleteAttach(imsi: string): void;

  // challenge nonces: single-use, bound to an IMSI, with an expiry (ms)
  putNonce(imsi: string, nonce: Uint8Array, expires: number, now: number): void;
  /** Consume the nonce; true only if it existed, belonged to `imsi` and had not expired. */
  takeNonce(imsi: string, nonce: Uint8Array, now: number): boolean;

  // request replies, for idempotent handling of redelivered device messages
  reply(imsi: string, t: string, rid: string): { reply: Uint8Array | undefined } | undefined;
  putReply(imsi: string, t: string, rid: string, reply: Uint8Array | undefined, at: number): void;

  // operations
  createProvision(p: ProvisionRecord): void;
  provision(pid: string): ProvisionRecord | undefined;
  provisions(filter?: { imsi?: string; state?: string }): ProvisionRecord[];
  updateProvision(pid: string, patch: ProvisionPatch): void;
  createOrder(o: OrderRecord): void;
  order(oid: string): OrderRecord | undefined;
  /** Count one more publication of the order. */
  orderSent(oid: string): void;

  // charging records
  /** Open one record per service; a second call for the same (pid, service) changes nothing. */
  openCharging(recs: ChargingRecord[]): void;
  /** Close the open records of a provision. */
  closeCharging(pid: string, stop: number): void;
  /** Records overlapping [from, to) (ms), oldest first. */
  charging(range?: { from?: number; to?: number }): ChargingRecord[];

  /** Run `fn` atomically. */
  tx<T>(fn: () => T): T;
  close(): void;
}
