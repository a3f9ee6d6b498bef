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
import type { Platform } from './platform.js';
import type { ProvisionTransport } from './provision.js';

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

export class DataBudget {
  readonly limit: number;
  readonly reserve: number;
  readonly ip: number;
  private readonly platform: Platform;
  private day: number;
  private n: number;

  constructor(platform: Platform, o: BudgetOptions) {
    if (!o || !(o.bytesPerDay > 0) || Math.floor(o.bytesPerDay) !== o.bytesPerDay) throw new TypeError('budget: bytesPerDay must be a positive integer');
    const r = o.reserveBytes === undefined ? 0 : o.reserveBytes;
    const ip = o.ipOverheadBytes === undefined ? 40 : o.ipOverheadBytes;
    if (!(r >= 0 && r < o.bytesPerDay)) throw new RangeError('budget: reserveBytes must be 0..bytesPerDay-1');
    if (!(ip >= 0 && ip <= 1500)) throw new RangeError('budget: ipOverheadBytes must be 0..1500');
    this.platform = platform;
    this.limit = o.bytesPerDay;
    this.reserve = r;
    this.ip = ip;
    this.day = this.today();
    const s = o.state;
    this.n = s && s.day === this.day && s.used >= 0 ? s.used : 0;
  }

  /** Bytes counted today. */
  used(): number {
    this.roll();
    return this.n;
  }

  /** Bytes a send may still use today (the reserve kept back). */
  remaining(): number {
    return Math.max(0, this.limit - this.reserve - this.used());
  }

  /** Count n bytes if they fit in what remains and say whether they did; nothing is counted otherwise. */
  take(n: number): boolean {
    if (n > this.remaining()) return false;
    this.n += n;
    return true;
  }

  /** Count bytes that already went over the air (received ones): never refused. */
  add(n: number): void {
    this.roll();
    this.n += n;
  }

  snapshot(): BudgetState {
    this.roll();
    return { day: this.day, used: this.n };
  }

  private today(): number {
    return Math.floor(this.platform.now() / DAY_MS);
  }

  private roll(): void {
    const d = this.today();
    if (d !== this.day) {
      this.day = d;
      this.n = 0;
    }
  }
}

function refuse(b: DataBudget, what: string, cost: number): Promise<void> {
  return Promise.reject(new SimedgeError('BUDGET_EXCEEDED', what + ' needs ' + cost + ' B, used ' + b.used() + ' of ' + b.limit + ' B today'));
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
