// The per-device data budget (DESIGN.md: cellular bytes cost money): bytes per UTC day that the
// provisioning traffic may use, counted in both directions, with an estimate of what MQTT and
// TCP/IP add on the air. What the device decides to send is refused with BUDGET_EXCEEDED before
// it reaches the modem unless it fits, together with the replies it will cause; what arrives
// cannot be refused and is counted.
//
// Sends and their replies (metered()). A send must fit with a reservation for its replies:
//   hello → chal, or a rej instead
//   prov  → acc, or a rej instead, and ready, and a term per live provision (make-before-break:
//           once the new one is ready the core ends the one it replaces; a rej releases all three)
//   bye   → one term per live provision
// When a reply arrives its actual bytes are counted and its reservation is released; the client's
// codec is metered too, because the decoded type says which reply it is. A reservation is the
// largest reply the wire decoder accepts (wire/messages.ts, with the client's 16-character rid),
// payload bytes: a hello 330 (a rej with a 256-character text; its chal is at most 76), acc 169,
// term 116; a ready may list 16 endpoints of 256 characters, so it gets its largest header (155)
// plus 256 bytes of endpoints, 411. A reply that never comes keeps its reservation charged until
// the day ends (the choice against releasing it at the deadline): it may still arrive late (a chal
// after the client gave up, a QoS 1 redelivery after a reconnect), and is then paid from the
// reservation instead of taking the day over the limit. The price is about 450 B on the air per
// timed-out hello, 830 per prov, until midnight (reservations end with the day; a reply to
// yesterday's request may then release one of today's early). A send that fails keeps its bytes
// counted too (it may have reached the broker).
// Counted when they come, without a reservation, so `reserveBytes` is the headroom for them:
// messages the device did not ask for (a term at lease expiry or suspension, a ready with moved
// endpoints, duplicates, the term of a provision left from before a reboot), a ready with more than 256 B of endpoints,
// and the keep-alive below.
//
// The link (budgetDriver() around a modem-MQTT driver; adapter/node/device.ts for MQTT.js).
// CONNECT [MQTT-3.1] + CONNACK [MQTT-3.2] are taken each time the link opens, with the
// re-subscriptions of a reconnect, and refused like a send; DISCONNECT [MQTT-3.14] is counted when
// the device closes the link. Keep-alive: the modem sends PINGREQ and gets PINGRESP [MQTT-3.12,
// 3.13] on its own and the SDK never sees them, so while the link is up the meter charges one
// pair (2 + 2 bytes + ip per packet) per keep-alive interval (60 s unless the driver was given
// another), lazily, whenever it is consulted. An upper bound: MQTT skips the ping when other
// packets went in the interval. Keep-alive cannot be refused, only counted, and it is not small:
// 84 B a minute at 60 s, about 121 KB a day, more than most budgets. A firmware that stays
// connected should close the link while idle (stop(), NodeDevice.powerOff()) or use a longer
// keep-alive (driver option `keepAliveS`: 20 minutes cost about 6 KB a day); the Espruino bundle
// has 60 s built in.
//
// Cost of one message (the estimate, per direction of the exchange):
//   PUBLISH QoS 1 [MQTT-3.3]: 1 fixed header + 1..4 remaining length + 2 topic length + topic
//     + 2 packet id + payload;  its PUBACK [MQTT-3.4]: 4
//   SUBSCRIBE [MQTT-3.8]: 1 + 1..4 + 2 packet id + 2 + topic + 1 options;  SUBACK [MQTT-3.9]: 5
//   CONNECT [MQTT-3.1.2, 3.1.3]: 1 + 1..4 + 10 (protocol name, level, flags, keep-alive) + 2
//     + client id (no will, user or password);  CONNACK: 4;  DISCONNECT: 2;  PINGREQ, PINGRESP: 2
//   TCP/IP: `ipOverheadBytes` per packet, default 40 (IPv4 20 + TCP 20 without options [RFC791,
//     RFC9293]), counted for the message and for its acknowledgement.
// Not counted: TCP handshakes and teardown, TLS, radio-layer overhead, and the link of a
// transport the firmware brings itself (the `generic` dialect on Espruino).
//
// The day window is the UTC calendar day of Platform.now (operators bill per calendar day or
// month, and a fixed window needs no log of past sends). snapshot()/the `state` option let a
// firmware keep the count across reboots, so a reboot loop cannot reset the budget; a snapshot
// counts the reservations still open as used.
import { SimedgeError } from '../wire/codes.js';
import type { UpMsg } from '../wire/messages.js';
import { DETAIL, FULL } from './flags.js';
import type { Platform } from './platform.js';
import type { ProvisionCodec, ProvisionTransport } from './provision.js';
import type { MqttDriver } from './transport/types.js';
import { rangeError } from './platform.js';

export const DAY_MS = 86400000;

export interface BudgetOptions {
  /** Bytes per UTC day (provisioning traffic, both directions, with the overhead estimate). */
  bytesPerDay: number;
  /** Headroom a send must leave for what arrives unasked (default 0; see the header). */
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

/**
 * Payload bytes reserved for each reply (see the header): `chal` stands for the answer to a
 * hello, a chal or a rej, whichever is larger.
 */
export const REPLY_BYTES: { [t: string]: number } = { chal: 330, acc: 169, ready: 411, term: 116 };

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

/** Bytes a CONNECT with a client id only and its CONNACK cost, with ip bytes per packet. */
export function connectCost(idLen: number, ip: number): number {
  const rest = 12 + idLen;
  return 1 + varintLen(rest) + rest + 4 + 2 * ip;
}

/** The meter's API (core/provisioner.ts meters the provisioning client with it). */
export interface DataBudget {
  readonly limit: number;
  readonly reserve: number;
  readonly ip: number;
  /** Bytes counted today: sent, received, reserved for replies still expected, keep-alive so far. */
  used(): number;
  /** The part of used() reserved for replies still expected. */
  held(): number;
  /** Bytes a send may still use today (the reserve kept back). */
  remaining(): number;
  /**
   * Count n bytes and reserve r more for the replies they cause, if both fit in what remains, and
   * say whether they did; nothing is counted otherwise.
   */
  take(n: number, r?: number): boolean;
  /** Count bytes that already went over the air (received ones): never refused. Releases r reserved. */
  add(n: number, r?: number): void;
  /** The MQTT link came up with this keep-alive (s), or went down (0): pings are charged meanwhile. */
  linked(keepAliveS: number): void;
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
  let day = Math.floor(platform.now() / DAY_MS);
  const s = o.state;
  /** Bytes counted today (reservations apart). */
  let n = s && s.day === day && s.used >= 0 ? s.used : 0;
  /** Reserved for replies still expected. */
  let h = 0;
  /** Keep-alive interval (ms) while the link is up, else 0; pings are charged up to `at`. */
  let ka = 0;
  let at = 0;
  /** Start a new day when the date changed, then charge the pings due since `at`. */
  const roll = (): void => {
    const t = platform.now();
    const d = Math.floor(t / DAY_MS);
    if (d !== day) {
      day = d;
      n = h = 0;
      if (at < d * DAY_MS) at = d * DAY_MS; // pings before midnight were yesterday's
    }
    if (ka) {
      const k = Math.floor((t - at) / ka);
      n += k * (4 + 2 * ip); // PINGREQ + PINGRESP [MQTT-3.12, 3.13]
      at += k * ka;
    }
  };
  const used = (): number => {
    roll();
    return n + h;
  };
  const remaining = (): number => Math.max(0, limit - r - used());
  return {
    limit: limit,
    reserve: r,
    ip: ip,
    used: used,
    held(): number {
      roll();
      return h;
    },
    remaining: remaining,
    take(k: number, x?: number): boolean {
      const y = x || 0;
      if (k + y > remaining()) return false;
      n += k;
      h += y;
      return true;
    },
    add(k: number, x?: number): void {
      roll();
      n += k;
      h = Math.max(0, h - (x || 0));
    },
    linked(sec: number): void {
      roll();
      ka = sec * 1000;
      at = platform.now();
    },
    snapshot(): BudgetState {
      return { day: day, used: used() };
    },
  };
} as unknown as new (platform: Platform, o: BudgetOptions) => DataBudget;

function refuse(b: DataBudget, what: string, cost: number): Promise<never> {
  return Promise.reject(new SimedgeError('BUDGET_EXCEEDED', DETAIL ? what + ' needs ' + cost + ' B, used ' + b.used() + ' of ' + b.limit + ' B today' : undefined));
}

/** A provisioning client's codec and transport (what metered() wraps). */
export interface ClientIo {
  codec: ProvisionCodec;
  transport: ProvisionTransport;
}

/**
 * The client's codec and transport, metered (see the header): a send that does not fit with the
 * reservation for its replies is refused, received messages are counted, and a reply releases its
 * reservation. `live` says how many provisions a bye will be answered for.
 */
export function metered(io: ClientIo, b: DataBudget, live: () => number): ClientIo {
  const t = io.transport;
  const c = io.codec;
  /** Replies reserved for and not yet come, by type (undefined: none). */
  const pend: { [t: string]: number | undefined } = {};
  /**
   * The replies of the message encoded last, reserved when it is published: the client publishes
   * each message right after encoding it (core/provision.ts publish()).
   */
  let want: string[] = [];
  /** Length of the down topic, where the replies come. */
  let down = 0;
  /** Terms the prov in flight reserved for the provisions it replaces (a rej releases them). */
  let provTerms = 0;
  const cost = (k: string): number => publishCost(down, REPLY_BYTES[k] as number, b.ip);
  const settle = (k: string): number => {
    if (!((pend[k] as number) > 0)) return 0; // unasked, or its reservation released already
    (pend[k] as number)--;
    return cost(k);
  };
  return {
    codec: {
      encode(m: UpMsg): Uint8Array {
        const bytes = c.encode(m);
        want = m.t === 'hello' ? ['chal'] : m.t === 'prov' ? ['acc', 'ready'] : [];
        // A bye is answered with a term per live provision; a prov, once ready, ends the live
        // ones it replaces with a term each (make-before-break, one template per device).
        if (m.t === 'bye' || m.t === 'prov') for (let i = live(); i > 0; i--) want.push('term');
        return bytes;
      },
      decodeDown(bytes: Uint8Array) {
        const m = c.decodeDown(bytes);
        // A rej answers a hello instead of its chal, or a prov instead of its acc and ready.
        const k = m.t === 'rej' ? ((pend.chal as number) > 0 ? 'chal' : 'acc') : m.t;
        let r = settle(k);
        if (m.t === 'rej' && k === 'acc') {
          r += settle('ready');
          for (; provTerms > 0; provTerms--) r += settle('term');
        }
        b.add(0, r);
        return m;
      },
    },
    transport: {
      publish(topic: string, bytes: Uint8Array): Promise<void> {
        const w = want;
        want = [];
        const k = publishCost(topic.length, bytes.length, b.ip);
        let x = 0;
        w.forEach((r) => x += cost(r));
        if (!b.take(k, x)) return refuse(b, 'publish', k + x);
        w.forEach((r) => pend[r] = (pend[r] || 0) + 1);
        if (w[0] === 'acc') provTerms = w.length - 2;
        return t.publish(topic, bytes);
      },
      subscribe(topic: string, onMessage: (bytes: Uint8Array) => void): Promise<void> {
        const k = subscribeCost(topic.length, b.ip);
        if (!b.take(k)) return refuse(b, 'subscribe', k);
        down = topic.length;
        return t.subscribe(topic, (bytes) => {
          b.add(publishCost(topic.length, bytes.length, b.ip));
          onMessage(bytes);
        });
      },
    },
  };
}

/**
 * A modem-MQTT driver, metered (see the header): each open takes CONNECT + CONNACK and the
 * re-subscriptions the session sends after it (the first subscription of a topic is metered()'s),
 * refused like a send; the keep-alive clock runs while the link is up; DISCONNECT is counted.
 */
export function budgetDriver(d: MqttDriver, b: DataBudget, keepAliveS: number): MqttDriver {
  /** Topics subscribed, and what re-subscribing them all costs. */
  const seen: { [topic: string]: boolean } = {};
  let subs = 0;
  return {
    start: (ev) => d.start({ message: ev.message, note: ev.note, lost: (cause) => {
      b.linked(0);
      ev.lost(cause);
    } }),
    open(host: string, port: number, id: string): Promise<void> {
      const k = connectCost(id.length, b.ip) + subs;
      return b.take(k) ? d.open(host, port, id).then(() => b.linked(keepAliveS)) : refuse(b, 'connect', k);
    },
    publish: (topic, bytes) => d.publish(topic, bytes),
    subscribe(topic: string): Promise<void> {
      if (!seen[topic]) subs += subscribeCost(topic.length, b.ip);
      seen[topic] = true;
      return d.subscribe(topic);
    },
    disconnect(): Promise<void> {
      b.linked(0);
      b.add(2 + b.ip);
      return d.disconnect();
    },
    stop: () => d.stop(),
  };
}
