// Plain data the reconciler works on: what runs (Observed), what should run and which answers are
// owed (Desired), and what to do about the difference (Step). No I/O, no classes: plan() is a pure
// function of these, so it is unit-tested with literals.
import type { InstanceRef, RunSpec } from '../runtime/types.js';

/** One service of a deploy order, resolved by the catalog into what to run and under which key. */
export interface DesiredService {
  /** `<pid>/<service>` (share "device") or `class:<cls>/<service>` (share "class"). */
  key: string;
  share: 'device' | 'class';
  /** Runtime name (key into the agent's runtime table). */
  runtime: string;
  spec: RunSpec;
  /** Digest of what runs (runtime, service, code, res): a running instance with another is replaced. */
  hash: string;
}

/** A provisioning (one device's deploy or remove) as the store holds it. */
export interface Provision {
  pid: string;
  /** The order whose answer is owed or was given last. */
  oid: string;
  /**
   * pending: deploy accepted, `ready` not sent yet; ready: answered, keep running;
   * failed: a start failed, `fail` owed once its private instances are gone;
   * removing: remove accepted, `removed` owed once its private instances are gone.
   */
  state: 'pending' | 'ready' | 'failed' | 'removing';
  imsi: string;
  services: DesiredService[];
  /** Cause of a failure (state failed). */
  failMsg?: string;
  /** When the order was accepted (ms): deploy latency. */
  at: number;
  /** Acceptance order: among devices sharing an instance the newest one's spec wins. */
  seq: number;
}

/** An instance as the reconciler sees it. */
export interface Observed {
  key: string;
  runtime: string;
  /** LABEL.spec of the instance. */
  hash: string;
  /** running: in the agent's table (started or adopted); found: listed by a runtime, not adopted yet. */
  state: 'running' | 'found';
  /** Instance id (running) or InstanceRef id (found). */
  id: string;
  ref?: InstanceRef;
}

/** One instance that should run, with the devices that use it. */
export interface DesiredInstance {
  key: string;
  runtime: string;
  hash: string;
  spec: RunSpec;
  share: 'device' | 'class';
  /** pids of the devices using it (1 for private; the refcount for shared). */
  refs: string[];
}

export interface Desired {
  instances: DesiredInstance[];
  provisions: Provision[];
  /** Shared keys whose last device left: kept until this time (ms). */
  grace: Record<string, number>;
  /** Keys that may not be (re)started before this time (ms): restart backoff. */
  backoff: Record<string, number>;
  now: number;
  /** How long a shared instance outlives its last device (ms). */
  graceMs: number;
}

export type Step =
  | { t: 'grace-set'; key: string; until: number }
  | { t: 'grace-clear'; key: string }
  | { t: 'stop'; key: string; id: string }
  | { t: 'remove-orphan'; runtime: string; ref: InstanceRef }
  | { t: 'adopt'; key: string; runtime: string; ref: InstanceRef }
  | { t: 'start'; key: string; runtime: string; spec: RunSpec; hash: string }
  | { t: 'publish-ready'; pid: string }
  | { t: 'publish-failed'; pid: string }
  | { t: 'publish-removed'; pid: string };
