// Stopping a set of instances, each through the runtime that started it; shared by the remove
// and deploy (replace) handlers. Waits until every one is gone.
import type { Running } from '../instances.js';

export async function stopAll(list: Running[]): Promise<void> {
  await Promise.all(list.map((r) => r.runtime.stop(r.inst)));
}
