// Edge `status` (retained; the last will says offline): refresh the in-memory edge table.
import type { EdgeStatus } from '@simedge/device-sdk/wire';
import type { Ctx } from '../context.js';

export function onStatus(ctx: Ctx, s: EdgeStatus): void {
  ctx.edges.update(s);
  ctx.trace(undefined, 'edge-status', undefined, `${s.edge} ${s.online ? 'online' : 'offline'}`);
  ctx.log('info', 'edge status', { edge: s.edge, online: s.online, cells: s.cells.length, inst: s.inst });
}
