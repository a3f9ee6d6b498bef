// The reconnecting MQTT session over one dialect driver: the ModemMqttTransport the provisioning
// client uses. It serialises driver calls (a publish is several AT commands on some modems), routes
// received messages to the subscriber of their topic, and on a link-loss URC reconnects with
// jittered exponential backoff through the Platform timers, re-subscribing every topic. After the
// last attempt it gives up: pending and later calls reject with LINK_LOST and onFail is told
// (STYLE #9: the failure is reported, never thrown out of a URC callback).
//
// States: idle → connecting → up ⇄ reconnecting → failed; close() → closed from anywhere.
//
// The lean (Espruino) build has no reconnect loop of its own (FULL: core/flags.ts): a link loss
// puts the session back to idle and tells onFail (LINK_LOST); the next call, or a connect() from
// the firmware API, re-opens it and re-subscribes every topic. The firmware API retries that
// re-open with the Provisioner's backoff (adapter/espruino/simedge.ts): one retry mechanism, not two.
import { SimedgeError } from '../../wire/codes.js';
import { has, noop, same, type Platform } from '../platform.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { asciiTopic } from './bytes.js';
import type { ModemMqttTransport, MqttDriver, SessionState } from './types.js';
import { DETAIL, FULL, TRACE } from '../flags.js';
import { allChars, alnumOr } from '../../wire/chars.js';

export interface SessionOptions {
  backoff?: BackoffOptions;
  /** Diagnostics from the driver (dropped URCs) and the session (reconnect attempts). */
  note?: (text: string) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

type Listener<T> = (v: T) => void;

function validHost(host: string): boolean {
  return typeof host === 'string' && /^[A-Za-z0-9.:-]{1,253}$/.test(host);
}

/** The session's API: what the provisioning client and NodeDevice use. */
export type MqttSession = ModemMqttTransport;

/**
 * `new MqttSession(driver, platform, opts)`. Closures instead of a class: the state lives in
 * local variables, which minify to one letter, where a class pays `this.` and a member name on
 * every access (the Espruino bundle keeps its source in RAM).
 */
export const MqttSession = function MqttSession(driver: MqttDriver, platform: Platform, opts?: SessionOptions): MqttSession {
  const o = opts || {};
  let st: SessionState = 'idle';
  let host = '';
  let port = 0;
  let clientId = '';
  const handlers: { [topic: string]: (b: Uint8Array) => void } = {};
  /** Topics the modem is currently subscribed to (re-subscribed after a reconnect). */
  let subscribed: string[] = [];
  let lock: Promise<unknown> = Promise.resolve();
  const waiters: Waiter[] = [];
  const lostFns: Listener<string>[] = [];
  const failFns: Listener<Error>[] = [];
  let timer: unknown;
  let attempt = 0;
  /** The open in flight (lean build): a connect() and a call that re-opens lazily share it. */
  let opening: Promise<void> | undefined;

  const note = (text: string): void => {
    if (!TRACE || !o.note) return;
    try {
      o.note(text);
    } catch (e) {
      // diagnostics must not break the link
    }
  };

  const listen = <T>(list: Listener<T>[], fn: Listener<T>): (() => void) => {
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  };

  /** Run driver calls one after the other. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn, fn);
    lock = p.then(noop, noop);
    return p;
  };

  const whenUp = (): Promise<void> => {
    if (st === 'up' || st === 'connecting') return Promise.resolve();
    if (!FULL && st === 'idle' && host) return open(); // lost earlier: re-open (see the header)
    if (FULL && st === 'reconnecting') return new Promise<void>((resolve, reject) => waiters.push({ resolve: resolve, reject: reject }));
    return Promise.reject(new SimedgeError('LINK_LOST', DETAIL ? 'transport is ' + st : undefined));
  };

  const rejectWaiters = (e: Error): void => {
    const w = waiters.splice(0, waiters.length);
    for (let i = 0; i < w.length; i++) (w[i] as Waiter).reject(e);
  };

  const resubscribe = (topics: string[], i: number): Promise<void> => {
    if (i >= topics.length) return Promise.resolve();
    return driver.subscribe(topics[i] as string).then(() => resubscribe(topics, i + 1));
  };

  const giveUp = (): void => {
    st = 'failed';
    const err = new SimedgeError('LINK_LOST', DETAIL ? 'gave up after ' + attempt + ' reconnect attempts' : undefined);
    rejectWaiters(err);
    serial(() => driver.disconnect()).then(() => driver.stop());
    fail(err);
  };

  const reconnect = (): void => {
    if (st !== 'reconnecting') return;
    const topics = Object.keys(handlers);
    if (TRACE) note('reconnect attempt ' + attempt);
    serial(() => driver.open(host, port, clientId).then(() => resubscribe(topics, 0)))
      .then(() => {
        if (st !== 'reconnecting') return;
        st = 'up';
        subscribed = topics;
        const w = waiters.splice(0, waiters.length);
        for (let i = 0; i < w.length; i++) (w[i] as Waiter).resolve();
      }, (e: unknown) => {
        if (st !== 'reconnecting') return;
        if (TRACE) note('reconnect failed: ' + String(e instanceof Error ? e.message : e));
        schedule();
      });
  };

  const schedule = (): void => {
    const b = FULL ? o.backoff : undefined; // FULL: the Espruino firmware API cannot pass it
    const max = b && b.attempts !== undefined ? b.attempts : 6;
    if (attempt >= max) return giveUp();
    const ms = backoffDelay(platform, attempt, b);
    attempt++;
    timer = platform.setTimer(() => {
      timer = undefined;
      reconnect();
    }, ms);
  };

  const onMessage = (topic: string, bytes: Uint8Array): void => {
    if (!has(handlers, topic)) {
      if (TRACE) note('message on unsubscribed topic ' + topic + ' dropped');
      return;
    }
    try {
      (handlers[topic] as (b: Uint8Array) => void)(bytes);
    } catch (e) {
      if (TRACE) note('message handler failed: ' + String(e));
    }
  };

  const fail = (err: Error): void => {
    const fns = failFns.slice();
    for (let i = 0; i < fns.length; i++) {
      try {
        (fns[i] as Listener<Error>)(err);
      } catch (e) {
        if (TRACE) note('onFail listener failed: ' + String(e));
      }
    }
  };

  /**
   * Open the driver's connection; in the lean build also re-subscribe every topic (after a loss),
   * and share one open between concurrent callers.
   */
  const open = (): Promise<void> => {
    if (opening) return opening;
    const topics = FULL ? [] : Object.keys(handlers);
    st = 'connecting';
    const p = serial(() => {
      const opened = driver.open(host, port, clientId);
      return FULL ? opened : opened.then(() => resubscribe(topics, 0));
    }).then(() => {
      opening = undefined;
      if (st !== 'connecting') throw new SimedgeError('LINK_LOST', DETAIL ? 'closed while connecting' : undefined);
      st = 'up';
      subscribed = topics;
    }, (e: unknown) => {
      opening = undefined;
      if (st === 'connecting') st = 'idle'; // the caller may try again
      throw e;
    });
    if (!FULL) opening = p;
    return p;
  };

  const onLost = (cause: string): void => {
    if (st !== 'up') return; // our own disconnect, or already reconnecting
    if (!FULL) {
      // No loop here in the lean build (see the header): idle until re-opened, onFail told.
      st = 'idle';
      subscribed = [];
      return fail(new SimedgeError('LINK_LOST', undefined));
    }
    st = 'reconnecting';
    attempt = 0;
    subscribed = [];
    if (TRACE) note('link lost (' + cause + ')');
    // onLinkLost is not reachable from the Espruino firmware API (FULL: core/flags.ts).
    if (FULL) {
      const fns = lostFns.slice();
      for (let i = 0; i < fns.length; i++) {
        try {
          (fns[i] as Listener<string>)(cause);
        } catch (e) {
          if (TRACE) note('onLinkLost listener failed: ' + String(e));
        }
      }
    }
    schedule();
  };

  driver.start({ message: onMessage, lost: onLost, note: note });

  return {
    get state(): SessionState {
      return st;
    },

    connect(h: string, p: number, id: string): Promise<void> {
      // Argument checks of calls that, in the lean build, only the SDK itself makes with values it
      // validated where the firmware passed them (adapter/espruino/simedge.ts): FULL only.
      if (FULL && !validHost(h)) throw new TypeError('connect: host must be a DNS name or IP address');
      if (FULL && !(p >= 1 && p <= 65535 && Math.floor(p) === p)) throw new TypeError('connect: port must be 1..65535');
      if (FULL && (typeof id !== 'string' || !allChars(id, 1, 64, alnumOr('._-')))) throw new TypeError('connect: clientId must be 1..64 of [A-Za-z0-9._-]');
      // Lean build: connect() also re-opens after a loss and joins an open in flight (see the header).
      if (!FULL && st === 'up') return Promise.resolve();
      if (FULL ? st !== 'idle' : st === 'closed') return Promise.reject(new TypeError('connect: session is ' + st));
      host = h;
      port = p;
      clientId = id;
      return open();
    },

    publish(topic: string, bytes: Uint8Array): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // TypeError now, not a rejection later (FULL: see connect)
      if (FULL && !(bytes instanceof Uint8Array)) throw new TypeError('publish: payload must be a Uint8Array');
      const once = () => whenUp().then(() => serial(() => driver.publish(topic, bytes)));
      if (!FULL) return once(); // the lean build has no reconnecting state to wait for (see the header)
      return once().then(same, (e: unknown) => {
        // The link dropped under this publish: try once more on the new connection (QoS 1 and the
        // provisioning messages are idempotent, so a duplicate is harmless).
        if (st === 'reconnecting') return once();
        throw e;
      });
    },

    subscribe(topic: string, onMsg: (bytes: Uint8Array) => void): Promise<void> {
      if (FULL) asciiTopic(topic, 255); // FULL: see connect
      if (FULL && typeof onMsg !== 'function') throw new TypeError('subscribe: onMessage must be a function');
      handlers[topic] = onMsg;
      if (subscribed.indexOf(topic) >= 0) return Promise.resolve();
      return whenUp().then(() => serial(() => driver.subscribe(topic))).then(() => {
        if (subscribed.indexOf(topic) < 0) subscribed.push(topic);
      });
    },

    close(): Promise<void> {
      if (st === 'closed') return Promise.resolve();
      const wasUp = st === 'up' || (FULL && st === 'reconnecting') || st === 'connecting';
      st = 'closed';
      if (FULL) {
        // the reconnect loop and its waiters (the lean build has neither, see the header)
        if (timer !== undefined) platform.clearTimer(timer);
        timer = undefined;
        rejectWaiters(new SimedgeError('LINK_LOST', 'transport closed'));
      }
      const bye = wasUp ? serial(() => driver.disconnect()) : Promise.resolve();
      return bye.then(() => driver.stop(), () => driver.stop());
    },

    onLinkLost(fn: (cause: string) => void): () => void {
      return listen(lostFns, fn);
    },

    onFail(fn: (e: Error) => void): () => void {
      return listen(failFns, fn);
    },
  };
} as unknown as new (driver: MqttDriver, platform: Platform, opts?: SessionOptions) => MqttSession;
