// The per-device data budget (DESIGN.md: cellular bytes cost money): bytes per UTC day that the
// provisioning traffic may use, counted in both directions, with an estimate of what MQTT and
// TCP/IP add on the air. A send that would go over the budget is refused with BUDGET_EXCEEDED
// before it reaches the modem, so the device itself never exceeds it; received bytes cannot be
// refused (they are paid for once they arrive) and are counted, which is what `reserveBytes` is
// for: headroom kept back for the core's replies to what the device sends.
//
// Cost of one message (the estimate, per direction of the exchange):
//   PUBLISH QoS 1 [MQTT-3.3]: 1 fixed header + 1..4 remaining length + 2 topic length + topic
//     + 2 packet id + payload;  its PUBACK [MQTT-3.4]: 4
//   SUBSCRIBE [MQTT-3.8]: 1 + 1..4 + 2 packet id + 2 + topic + 1 options;  SUBACK [MQTT-3.9]: 5
//   TCP/IP: `ipOverheadBytes` per packet, default 40 (IPv4 20 + TCP 20 without options [RFC791,
//     RFC9293]), counted for the message and for its acknowledgement.
// Not counted: CONNECT, PINGREQ/PINGRESP and TCP handshakes (the transport's own, shared with
// whatever else the device does) and radio-layer overhead.
//
// The day window is the UTC calendar day of Platform.now (operators bill per calendar day or
// month, and a fixed window needs no log of past sends). snapshot()/the `state` option let a
// firmware keep the count across reboots, so a reboot loop cannot reset the budget.
import { SimedgeError } from '../wire/codes.js';
import { DETAIL, FULL } from './flags.js';
import type { Platform } from './platform.js';
import type { ProvisionTransport } from './provision.js';
import { rangeError } from './platform.js';

export const DAY_MS = 86400000;

export interface BudgetOptions {
  /** Bytes per UTC day (provisioning traffic, both directions, with the overhead estimate). */
  bytesPerDay: number;
  /** Headroom a send must leave for the replies it causes (default 0). */
  reserveBytes?: number;
  /** TCP/IP bytes per packet (default 40: IPv4 + TCP headers). */
  ipOverheadBytes?: number;
  /** Usage restored from an earlier snapshot() (after a reboot). */
  state?: BudgetState;
}

/** What to persist: the UTC day number and the bytes used on it. */
export interface BudgetState {
  day: number;
  used: number;
}

function varintLen(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4; // [MQTT-1.5.5] remaining length
}

/** Bytes a QoS 1 PUBLISH and its PUBACK cost, with ip bytes per packet. */
export function publishCost(topicLen: number, payloadLen: number, ip: number): number {
  const rest = 2 + topicLen + 2 + payloadLen;
  return 1 + varintLen(rest) + rest + 4 + 2 * ip;
}

/** Bytes a one-topic SUBSCRIBE and its SUBACK cost, with ip bytes per packet. */
export function subscribeCost(topicLen: number, ip: number): number {
  const rest = 2 + 2 + topicLen + 1;
  return 1 + varintLen(rest) + rest + 5 + 2 * ip;
}

/** The meter's API (core/provisioner.ts meters the provisioning transport with it). */
export interface DataBudget {
  readonly limit: number;
  readonly reserve: number;
  readonly ip: number;
  /** Bytes counted today. */
  used(): number;
  /** Bytes a send may still use today (the reserve kept back). */
  remaining(): number;
  /** Count n bytes if they fit in what remains and say whether they did; nothing is counted otherwise. */
  take(n: number): boolean;
  /** Count bytes that already went over the air (received ones): never refused. */
  add(n: number): void;
  snapshot(): BudgetState;
}

/** Whether an option is a meter already (shared across power cycles) rather than its options. */
export function isDataBudget(b: BudgetOptions | DataBudget): b is DataBudget {
  return typeof (b as DataBudget).take === 'function';
}

/**
 * `new DataBudget(platform, options)`. Closures instead of a class, as ProvisionClient
 * (core/provision.ts): locals minify to one letter, `this.` and member names do not, and the
 * Espruino bundle keeps its source in RAM. (`instanceof DataBudget` does not hold: isDataBudget.)
 */
export const DataBudget = function DataBudget(platform: Platform, o: BudgetOptions): DataBudget {
  if (!o || !(o.bytesPerDay > 0) || Math.floor(o.bytesPerDay) !== o.bytesPerDay) throw new TypeError('budget: bytesPerDay must be a positive integer');
  // FULL: the Espruino firmware API passes bytesPerDay (and a saved state) only.
  const r = FULL && o.reserveBytes !== undefined ? o.reserveBytes : 0;
  const ip = FULL && o.ipOverheadBytes !== undefined ? o.ipOverheadBytes : 40;
  if (FULL && !(r >= 0 && r < o.bytesPerDay)) throw rangeError('budget: reserveBytes must be 0..bytesPerDay-1');
  if (FULL && !(ip >= 0 && ip <= 1500)) throw rangeError('budget: ipOverheadBytes must be 0..1500');
  const limit = o.bytesPerDay;
  const today = (): number => Math.floor(platform.now() / DAY_MS);
  let day = today();
  const s = o.state;
  let n = s && s.day === day && s.used >= 0 ? s.used : 0;
  const roll = (): void => {
    const d = today();
    if (d !== day) {
      day = d;
      n = 0;
    }
  };
  const used = (): number => {
    roll();
    return n;
  };
  const remaining = (): number => Math.max(0, limit - r - used());
  return {
    limit: limit,
    reserve: r,
    ip: ip,
    used: used,
    remaining: remaining,
    take(k: number): boolean {
      if (k > remaining()) return false;
      n += k;
      return true;
    },
    add(k: number): void {
      roll();
      n += k;
    },
    snapshot(): BudgetState {
      roll();
      return { day: day, used: n };
    },
  };
} as unknown as new (platform: Platform, o: BudgetOptions) => DataBudget;

function refuse(b: DataBudget, what: string, cost: number): Promise<void> {
  return Promise.reject(new SimedgeError('BUDGET_EXCEEDED', DETAIL ? what + ' needs ' + cost + ' B, used ' + b.used() + ' of ' + b.limit + ' B today' : undefined));
}

/** The transport, metered: sends that do not fit are refused, received messages are counted. */
export function budgetTransport(t: ProvisionTransport, b: DataBudget): ProvisionTransport {
  return {
    publish: (topic, bytes) => {
      const cost = publishCost(topic.length, bytes.length, b.ip);
      return b.take(cost) ? t.publish(topic, bytes) : refuse(b, 'publish', cost);
    },
    subscribe: (topic, onMessage) => {
      const cost = subscribeCost(topic.length, b.ip);
      if (!b.take(cost)) return refuse(b, 'subscribe', cost);
      return t.subscribe(topic, (bytes) => {
        b.add(publishCost(topic.length, bytes.length, b.ip));
        onMessage(bytes);
      });
    },
  };
}
