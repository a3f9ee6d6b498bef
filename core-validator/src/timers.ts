// The timers a provision needs in its current state, armed on this core: the operation deadline
// while an order is in flight, order re-sends while STARTING or REMOVING (shared cores also while
// PROCESSING) and while a timed-out deploy's clean-up remove is pending (FAILED_TEMP, retry.ts;
// its own deadline is checked at each re-send, so it needs no deadline timer), and the
// lease/roaming end while active. Used after a transition and when a core adopts a provision
// (start, or a crashed core's lease lapsed), so whichever core moved a provision last runs its
// timers (README "Scale-out").
import type { Ctx } from './context.js';
import { armExpiry } from './expiry.js';
import { armRetry, cleanupPending, retrying } from './retry.js';
import { ACTIVE_STATES, type ProvisionRecord } from './store/types.js';

const IN_FLIGHT: readonly string[] = ['STARTING', 'PROCESSING', 'REMOVING'];

export function syncTimers(ctx: Ctx, p: ProvisionRecord): void {
  if (IN_FLIGHT.includes(p.state)) ctx.deadlines.arm(p.pid, p.deadline ?? ctx.now());
  else ctx.deadlines.clear(p.pid);
  if (!retrying(ctx, p.state) && !cleanupPending(ctx, p)) ctx.retries.clear(p.pid);
  else if (!ctx.retries.has(p.pid)) armRetry(ctx, p.pid, 0); // keep a running backoff where it is
  if (ACTIVE_STATES.includes(p.state)) armExpiry(ctx, p);
  else ctx.expiries.clear(p.pid);
}
