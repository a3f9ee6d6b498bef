// What an order handler may touch: the agent hands each handler this narrow context instead of
// itself, so handlers stay small, testable and unaware of MQTT. Handlers only write the desired
// state (with the answers they owe) and ask the reconciler to act on it.
import type { EdgeEvent, Step } from '@simedge/device-sdk/wire';
import type { ArtefactCache } from './artefacts/cache.js';
import type { InstanceTable } from './instances.js';
import type { Log } from './log.js';
import type { EdgeMetrics } from './metrics.js';
import type { StateStore } from './store/store.js';

export interface EdgeContext {
  readonly id: string;
  readonly capacity: { cpu: number; mem: number };
  /** Runtime that runs every catalog service (the agent's `runtime` option). */
  readonly runtime: string;
  readonly store: StateStore;
  /** The function repository: deploys fetch `art` references through it. */
  readonly artefacts: ArtefactCache;
  readonly instances: InstanceTable;
  readonly metrics: EdgeMetrics;
  now(): number;
  /** Publish every owed answer (the store's outbox). */
  flush(): Promise<void>;
  /** Run the reconciler (coalesced); resolves after a run that saw the caller's change. */
  reconcile(): Promise<void>;
  /** Resolves once the answer to `oid` is recorded and published (or the agent stops). */
  answered(oid: string): Promise<void>;
  trace(step: Step, ev: string, imsi?: string, detail?: string): void;
  log: Log;
}

export type { EdgeEvent };
