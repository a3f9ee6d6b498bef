// Order intake checks, pure (no I/O): signature first, then content (STYLE 10: verify before
// acting on anything decoded). [RFC9052 §4.4] COSE_Sign1 by a trusted core key -> parseOrder ->
// addressed to this edge -> not expired. The replay check needs state and lives in the journal.
import type { KeyObject } from 'node:crypto';
import { decodeSign1, isSimedgeError, parseOrder, publicKeyObject, verifySign1, type Order } from '@simedge/device-sdk/wire';

/** Orders carry at most 8 services with ≤ 4 KiB of inline code each, plus headers. */
export const MAX_ORDER_BYTES = 64 * 1024;

export type Verdict =
  /** Verified and applicable. */
  | { kind: 'ok'; order: Order }
  /** Signed by the core but not applicable here (expired, other edge): answer `fail` ORDER_INVALID. */
  | { kind: 'invalid'; order: Order; why: string }
  /** Nothing in it can be trusted (bad signature, unknown kid, garbage): drop without an event. */
  | { kind: 'drop'; why: string };

/** Trusted order signers by kid, as node:crypto key objects (parsed once). */
export type CoreKeys = ReadonlyMap<string, KeyObject>;

export function coreKeyMap(keys: ReadonlyArray<{ kid: string; publicKey: Uint8Array }>): CoreKeys {
  const m = new Map<string, KeyObject>();
  for (const k of keys) {
    if (typeof k.kid !== 'string' || k.kid.length === 0) throw new TypeError('core key kid must be non-empty text');
    if (m.has(k.kid)) throw new TypeError(`core key kid ${k.kid} listed twice`);
    m.set(k.kid, publicKeyObject(k.publicKey));
  }
  return m;
}

function reason(e: unknown): string {
  return isSimedgeError(e) ? e.message : e instanceof Error ? e.message : String(e);
}

export function checkOrder(bytes: Uint8Array, keys: CoreKeys, edge: string, nowMs: number): Verdict {
  if (bytes.length > MAX_ORDER_BYTES) return { kind: 'drop', why: `order of ${bytes.length} bytes exceeds ${MAX_ORDER_BYTES}` };
  let s;
  try {
    s = decodeSign1(bytes, { maxBytes: MAX_ORDER_BYTES });
  } catch (e) {
    return { kind: 'drop', why: reason(e) };
  }
  const key = keys.get(s.kid);
  if (!key) return { kind: 'drop', why: `unknown kid ${JSON.stringify(s.kid.slice(0, 64))}` };
  if (!verifySign1(s, key)) return { kind: 'drop', why: `bad signature (kid ${s.kid})` };
  let order: Order;
  try {
    order = parseOrder(s.payload, { maxBytes: MAX_ORDER_BYTES });
  } catch (e) {
    // Signed by the core yet malformed: a core bug, but its ids are not usable for an answer.
    return { kind: 'drop', why: `signed order does not parse: ${reason(e)}` };
  }
  if (order.edge !== edge) return { kind: 'invalid', order, why: `order is for edge ${order.edge}, not ${edge}` };
  if (nowMs >= order.exp * 1000) return { kind: 'invalid', order, why: `order expired at ${new Date(order.exp * 1000).toISOString()}` };
  return { kind: 'ok', order };
}
