// What every handler gets: the store, the edge table, settings, clock, logging and tracing, and
// the two outputs (publish to a topic, reply to a device). Built once by CoreValidator.
import { encodeMsg, topics, type DownMsg, type Step } from '@simedge/device-sdk/wire';
import type { KeyObject } from 'node:crypto';
import type { RetrySettings } from './backoff.js';
import type { Deadlines } from './deadlines.js';
import type { EdgeTable } from './edges.js';
import type { Logger } from './log.js';
import type { Policy } from './policy.js';
import type { CoreStore, ProvisionRecord } from './store/types.js';

export interface CoreSettings {
  coreKid: string;
  /** The core's Ed25519 signing key for orders. */
  coreKey: KeyObject;
  opTimeoutMs: number;
  nonceTtlSec: number;
  orderTtlSec: number;
  policy: Policy;
  /** Deploy-order re-sends while the edge has not said `rcvd`. */
  retry: RetrySettings;
}

export interface Ctx {
  /** This core's id: MQTT client id, owner of its provisions' timers and of its request claims. */
  readonly coreId: string;
  /** Several cores share the database (the `shared` option): a timer acts only for provisions
   *  this core owns (README "Scale-out"). False: this core owns everything, as before. */
  readonly cluster: boolean;
  readonly store: CoreStore;
  readonly edges: EdgeTable;
  readonly cfg: CoreSettings;
  readonly log: Logger;
  readonly deadlines: Deadlines;
  /** Deploy-order retry timers (per pid); not waited on by idle(): the deadline covers them. */
  readonly retries: Deadlines;
  /** Lease and roaming-grace timers (per pid); not waited on by idle(): they may be hours away. */
  readonly expiries: Deadlines;
  now(): number;
  trace(step: Step | undefined, ev: string, imsi?: string, detail?: string): void;
  /** Publish at QoS 1; tracked so idle() waits for it. Never throws. `sent` runs once the broker
   *  has acknowledged it (at once when the core publishes through an embedding's hook). */
  publish(topic: string, payload: Uint8Array, sent?: () => void): void;
  /** Queue store work behind the message being handled (the core's serial queue); a failure is logged. */
  queue(what: string, task: () => Promise<void>): void;
}

/** Encode a down message, send it to the device and return the bytes (to keep as the stored reply). */
export function sendDown(ctx: Ctx, imsi: string, msg: DownMsg): Uint8Array {
  const bytes = encodeMsg(msg);
  ctx.publish(topics.deviceDown(imsi), bytes);
  return bytes;
}

/** Whether this core runs the timers of `p`: always when alone, else only as its recorded owner. */
export function owns(ctx: Ctx, p: ProvisionRecord): boolean {
  return !ctx.cluster || p.owner === ctx.coreId;
}
