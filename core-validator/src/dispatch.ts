// Entry point for every inbound MQTT message: parse the topic, decode the payload with the
// decoder of that topic kind (hostile input: size and structure limits), check that the id in
// the topic is the one the message names, then one switch hands it to its handler [STYLE #6].
// Nothing here throws or rejects: bad input is logged, traced and dropped, and is never answered.
import {
  decodeEdgeEvent, decodeStatus, decodeUp, isSimedgeError, parseTopic,
  type EdgeEvent, type EdgeStatus, type UpMsg,
} from '@simedge/device-sdk/wire';
import type { Ctx } from './context.js';
import { onBye } from './handlers/bye.js';
import { onEdgeReady } from './handlers/edge-ready.js';
import { onFail } from './handlers/fail.js';
import { onHello } from './handlers/hello.js';
import { onProv } from './handlers/prov.js';
import { onRcvd } from './handlers/rcvd.js';
import { onRemoved } from './handlers/removed.js';
import { onStatus } from './handlers/status.js';

type Inbound = UpMsg | EdgeEvent | EdgeStatus;

/** Largest inbound payload looked at; the decoders' own limits apply below it. */
export const MAX_INBOUND_BYTES = 16 * 1024;

function drop(ctx: Ctx, topic: string, why: string, imsi?: string): void {
  ctx.log('warn', 'dropped inbound message', { topic: topic.slice(0, 128), why });
  ctx.trace(undefined, 'dropped', imsi, why);
}

function decode(kind: string, payload: Uint8Array): Inbound | undefined {
  switch (kind) {
    case 'up': return decodeUp(payload, { maxBytes: MAX_INBOUND_BYTES });
    case 'events': return decodeEdgeEvent(payload, { maxBytes: MAX_INBOUND_BYTES });
    case 'status': return decodeStatus(payload, { maxBytes: MAX_INBOUND_BYTES });
    default: return undefined; // down and orders are ours to send, never to act on
  }
}

export async function dispatch(ctx: Ctx, topic: string, payload: Uint8Array): Promise<void> {
  const where = parseTopic(topic);
  if (!where) return drop(ctx, topic, 'not a simedge topic');
  const imsi = where.kind === 'up' ? where.id : undefined;
  let msg: Inbound | undefined;
  try {
    msg = decode(where.kind, payload);
  } catch (e) {
    return drop(ctx, topic, isSimedgeError(e) ? e.code : 'decode error', imsi);
  }
  if (!msg) return drop(ctx, topic, `unexpected ${where.kind} message`);
  // A device publishes only under its own IMSI, an edge only under its own id.
  const named = 'imsi' in msg ? msg.imsi : msg.edge;
  if (named !== where.id) return drop(ctx, topic, `topic id does not match the message (${msg.t})`, imsi);
  try {
    switch (msg.t) {
      case 'hello': return await onHello(ctx, msg);
      case 'prov': return await onProv(ctx, msg);
      case 'bye': return await onBye(ctx, msg);
      case 'rcvd': return await onRcvd(ctx, msg);
      case 'ready': return await onEdgeReady(ctx, msg);
      case 'fail': return await onFail(ctx, msg);
      case 'removed': return await onRemoved(ctx, msg);
      case 'status': return onStatus(ctx, msg);
    }
  } catch (e) {
    // A bug or a store failure: log it loudly, keep serving everyone else.
    ctx.log('error', 'handler failed', { topic, t: msg.t, err: e instanceof Error ? e.message : String(e) });
  }
}
