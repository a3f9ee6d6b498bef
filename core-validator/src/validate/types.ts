// Shapes shared by the validation steps [step 204]: what a step sees (StepEnv), what the steps
// establish as they pass (Validated, filled in step by step), and the step contract itself.
import type { Prov, Sign1, Template } from '@simedge/device-sdk/wire';
import type { EdgeTable } from '../edges.js';
import type { Policy } from '../policy.js';
import type { AttachRecord, CoreStore, PlacementRecord, Subscriber, TrustKey } from '../store/types.js';

export interface StepEnv {
  msg: Prov;
  store: CoreStore;
  edges: EdgeTable;
  /** ms since the epoch */
  now: number;
  policy: Policy;
}

/** What the steps establish, filled in as they pass. */
export interface Validated {
  cose: Sign1;
  key: TrustKey;
  template: Template;
  subscriber: Subscriber;
  attach: AttachRecord;
  edge: string;
  placement: PlacementRecord;
}
export type Established = Partial<Validated> & {
  /** Set by the nonce step; the pipeline consumes the nonce itself when that step never ran. */
  nonceTaken?: boolean;
};

export interface ValidationStep {
  name: string;
  /** Sync where it can be: the pipeline awaits only the steps that read the store. */
  run(env: StepEnv, acc: Established): void | Promise<void>;
}

export function need<K extends keyof Validated>(acc: Established, k: K): Validated[K] {
  const v = acc[k];
  if (v === undefined) throw new Error(`validation pipeline: "${k}" is not set by an earlier step`);
  return v as Validated[K];
}
