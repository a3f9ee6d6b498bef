// MQTT topics (DESIGN.md "Messages"). Payloads carry every id, so MQTT 3.1.1 suffices.
import { allChars, digits, isAlnum } from './chars.js';
export const TOPIC_ROOT = 'simedge/v1';

// A function rather than a top-level `alnumOr('_.-')`: a bundler cannot tell that call has no side
// effect, so a bundle that checks no edge id (the Espruino firmware) would keep it.
function isEdgeChar(c: number): boolean {
  return isAlnum(c) || '_.-'.indexOf(String.fromCharCode(c)) >= 0;
}

export function isImsi(s: unknown): s is string {
  return digits(s, 6, 15);
}
export function isEdgeId(s: unknown): s is string {
  return allChars(s, 1, 64, isEdgeChar);
}

function imsi(i: string): string {
  if (!isImsi(i)) throw new TypeError(`not an IMSI: ${i}`);
  return i;
}
function edge(e: string): string {
  if (!isEdgeId(e)) throw new TypeError(`not an edge id: ${e}`);
  return e;
}

export const topics = {
  deviceUp: (i: string) => `${TOPIC_ROOT}/d/${imsi(i)}/up`,
  deviceDown: (i: string) => `${TOPIC_ROOT}/d/${imsi(i)}/down`,
  edgeOrders: (e: string) => `${TOPIC_ROOT}/e/${edge(e)}/orders`,
  edgeEvents: (e: string) => `${TOPIC_ROOT}/e/${edge(e)}/events`,
  edgeStatus: (e: string) => `${TOPIC_ROOT}/e/${edge(e)}/status`,
  /** Subscriptions of the core validator. */
  allDeviceUp: `${TOPIC_ROOT}/d/+/up`,
  sharedDeviceUp: `$share/core/${TOPIC_ROOT}/d/+/up`,
  allEdgeEvents: `${TOPIC_ROOT}/e/+/events`,
  allEdgeStatus: `${TOPIC_ROOT}/e/+/status`,
};

/** Parse a topic back into its kind and id; undefined when it is not one of ours. */
export function parseTopic(t: string): { kind: 'up' | 'down' | 'orders' | 'events' | 'status'; id: string } | undefined {
  const p = t.split('/');
  if (p.length !== 5 || `${p[0]}/${p[1]}` !== TOPIC_ROOT) return undefined;
  const id = p[3] as string;
  const kind = p[4];
  if (p[2] === 'd' && isImsi(id) && (kind === 'up' || kind === 'down')) return { kind, id };
  if (p[2] === 'e' && isEdgeId(id) && (kind === 'orders' || kind === 'events' || kind === 'status')) return { kind, id };
  return undefined;
}
