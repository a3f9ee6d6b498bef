// What an order handler may touch: the agent hands each handler this narrow context instead of
// itself, so handlers stay small, testable and unaware of MQTT.
import type { EdgeEvent, Step } from '@simedge/device-sdk/wire';
import type { InstanceTable } from './instances.js';
import type { Log } from './log.js';
import type { Runtime } from './runtime/types.js';

export interface EdgeContext {
  readonly id: string;
  readonly capacity: { cpu: number; mem: number };
  readonly runtimes: Readonly<Record<string, Runtime>>;
  readonly instances: InstanceTable;
  /** Record the event in the order journal and publish it on the events topic. */
  emit(ev: EdgeEvent): Promise<void>;
  trace(step: Step, ev: string, imsi?: string, detail?: string): void;
  /** The instance table changed: publish a fresh retained status. */
  statusChanged(): void;
  /** True once stop() began: handlers must not hand out new instances. */
  stopping(): boolean;
  log: Log;
}
