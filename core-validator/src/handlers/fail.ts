// Edge `fail` [step 207]: the edge could not set the services up; FAILED, `rej` to the device.
import type { Fail } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';
import { failDeploy } from '../lifecycle.js';
import { matchOrder } from './edge-order.js';

export async function onFail(ctx: Ctx, ev: Fail): Promise<void> {
  const p = await matchOrder(ctx, ev, 'deploy');
  if (!p || (p.state !== 'STARTING' && p.state !== 'PROCESSING')) return;
  await failDeploy(ctx, p, 'FAILED', ev.code, ev.msg);
}
