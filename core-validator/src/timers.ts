// The timers a provision needs in its current state, armed on this core: the operation deadline
// while an order is in flight, deploy-order retries while STARTING, the lease/roaming end while
// active (shared cores also re-send while PROCESSING and REMOVING, retry.ts). Used after a transition and when a core adopts a provision (start, or a crashed core's
// lease lapsed), so whichever core moved a provision last runs its timers (README "Scale-out").
import type { Ctx } from './context.js';
import { armExpiry } from './expiry.js';
import { armRetry, retrying } from './retry.js';
import { ACTIVE_STATES, type ProvisionRecord } from './store/types.js';

const IN_FLIGHT: readonly string[] = ['STARTING', 'PROCESSING', 'REMOVING'];

export function syncTimers(ctx: Ctx, p: ProvisionRecord): void {
  if (IN_FLIGHT.includes(p.state)) ctx.deadlines.arm(p.pid, p.deadline ?? ctx.now());
  else ctx.deadlines.clear(p.pid);
  if (!retrying(ctx, p.state)) ctx.retries.clear(p.pid);
  else if (!ctx.retries.has(p.pid)) armRetry(ctx, p.pid, 0); // keep a running backoff where it is
  if (ACTIVE_STATES.includes(p.state)) armExpiry(ctx, p);
  else ctx.expiries.clear(p.pid);
}
