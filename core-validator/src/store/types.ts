// The core's persistent state behind one interface, so the embedded SQLite store and a later
// PostgreSQL store (kysely) are interchangeable. Everything is synchronous on purpose: the SQLite
// implementation is, and a handler that validates and records a provision without yielding cannot
// race a QoS 1 redelivery of the same request. An async backend will wrap this contract.
import type { Endpoint } from '@simedge/device-sdk/wire';

export type ProvisionState = 'STARTING' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'FAILED_TEMP' | 'REMOVING' | 'REMOVED';

/** States in which a provision holds (or may hold) resources on an edge. */
export const ACTIVE_STATES: readonly ProvisionState[] = ['STARTING', 'PROCESSING', 'COMPLETED'];

/** Why a provision ended; sent to the device in `term`. */
export type EndReason = 'bye' | 'detach' | 'roam' | 'timeout';

export interface Subscriber { imsi: string; iccid: string }

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

export interface AttachRecord { imsi: string; ip: string; plmn: string; cell: string; at: number }

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
}

export interface OrderRecord { oid: string; pid: string; kind: 'deploy' | 'remove'; edge: string; at: number }

export type ProvisionPatch = Partial<Pick<ProvisionRecord, 'state' | 'oid' | 'deadline' | 'code' | 'endWhy' | 'endRid' | 'svc'>> & { updated: number };

export interface CoreStore {
  // registry and trust
  addSubscriber(s: Subscriber): void;
  subscriber(imsi: string): Subscriber | undefined;
  addTrustKey(k: TrustKey): void;
  trustKey(kid: string): TrustKey | undefined;
  setCellEdge(cell: string, edge: string): void;
  edgeForCell(cell: string): string | undefined;

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

  /** Run `fn` atomically. */
  tx<T>(fn: () => T): T;
  close(): void;
}
