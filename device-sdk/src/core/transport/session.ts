// The reconnecting MQTT session over one dialect driver: the ModemMqttTransport the provisioning
// client uses. It serialises driver calls (a publish is several AT commands on some modems), routes
// received messages to the subscriber of their topic, and on a link-loss URC reconnects with
// jittered exponential backoff through the Platform timers, re-subscribing every topic. After the
// last attempt it gives up: pending and later calls reject with LINK_LOST and onFail is told
// (STYLE #9: the failure is reported, never thrown out of a URC callback).
//
// States: idle → connecting → up ⇄ reconnecting → failed; close() → closed from anywhere.
import { SimedgeError } from '../../wire/codes.js';
import type { Platform } from '../platform.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { asciiTopic } from './bytes.js';
import type { ModemMqttTransport, MqttDriver, SessionState } from './types.js';
import { TRACE } from '../flags.js';

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

export class MqttSession implements ModemMqttTransport {
  private readonly driver: MqttDriver;
  private readonly platform: Platform;
  private readonly o: SessionOptions;
  private st: SessionState = 'idle';
  private host = '';
  private port = 0;
  private clientId = '';
  private handlers: { [topic: string]: (b: Uint8Array) => void } = {};
  /** Topics the modem is currently subscribed to (re-subscribed after a reconnect). */
  private subscribed: string[] = [];
  private lock: Promise<unknown> = Promise.resolve();
  private waiters: Waiter[] = [];
  private lostFns: Listener<string>[] = [];
  private failFns: Listener<Error>[] = [];
  private timer: unknown;
  private attempt = 0;

  constructor(driver: MqttDriver, platform: Platform, opts?: SessionOptions) {
    this.driver = driver;
    this.platform = platform;
    this.o = opts || {};
    driver.start({
      message: (t, b) => this.onMessage(t, b),
      lost: (c) => this.onLost(c),
      note: (s) => this.note(s),
    });
  }

  get state(): SessionState {
    return this.st;
  }

  connect(host: string, port: number, clientId: string): Promise<void> {
    if (!validHost(host)) throw new TypeError('connect: host must be a DNS name or IP address');
    if (!(port >= 1 && port <= 65535 && Math.floor(port) === port)) throw new TypeError('connect: port must be 1..65535');
    if (typeof clientId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(clientId)) throw new TypeError('connect: clientId must be 1..64 of [A-Za-z0-9._-]');
    if (this.st !== 'idle') return Promise.reject(new TypeError('connect: session is ' + this.st));
    this.host = host;
    this.port = port;
    this.clientId = clientId;
    this.st = 'connecting';
    return this.serial(() => this.driver.open(host, port, clientId)).then(() => {
      if (this.st !== 'connecting') throw new SimedgeError('LINK_LOST', 'closed while connecting');
      this.st = 'up';
    }, (e: unknown) => {
      if (this.st === 'connecting') this.st = 'idle'; // the caller may try again
      throw e;
    });
  }

  publish(topic: string, bytes: Uint8Array): Promise<void> {
    asciiTopic(topic, 255); // TypeError now, not a rejection later
    if (!(bytes instanceof Uint8Array)) throw new TypeError('publish: payload must be a Uint8Array');
    const once = () => this.whenUp().then(() => this.serial(() => this.driver.publish(topic, bytes)));
    return once().then(undefined, (e: unknown) => {
      // The link dropped under this publish: try once more on the new connection (QoS 1 and the
      // provisioning messages are idempotent, so a duplicate is harmless).
      if (this.st === 'reconnecting') return once();
      throw e;
    });
  }

  subscribe(topic: string, onMessage: (bytes: Uint8Array) => void): Promise<void> {
    asciiTopic(topic, 255);
    if (typeof onMessage !== 'function') throw new TypeError('subscribe: onMessage must be a function');
    this.handlers[topic] = onMessage;
    if (this.subscribed.indexOf(topic) >= 0) return Promise.resolve();
    return this.whenUp().then(() => this.serial(() => this.driver.subscribe(topic))).then(() => {
      if (this.subscribed.indexOf(topic) < 0) this.subscribed.push(topic);
    });
  }

  close(): Promise<void> {
    if (this.st === 'closed') return Promise.resolve();
    const wasUp = this.st === 'up' || this.st === 'reconnecting' || this.st === 'connecting';
    this.st = 'closed';
    this.cancelTimer();
    this.rejectWaiters(new SimedgeError('LINK_LOST', 'transport closed'));
    const bye = wasUp ? this.serial(() => this.driver.disconnect()) : Promise.resolve();
    return bye.then(() => this.driver.stop(), () => this.driver.stop());
  }

  onLinkLost(fn: (cause: string) => void): () => void {
    return this.listen(this.lostFns, fn);
  }

  onFail(fn: (e: Error) => void): () => void {
    return this.listen(this.failFns, fn);
  }

  private listen<T>(list: Listener<T>[], fn: Listener<T>): () => void {
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Run driver calls one after the other. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.then(() => undefined, () => undefined);
    return p;
  }

  private whenUp(): Promise<void> {
    if (this.st === 'up' || this.st === 'connecting') return Promise.resolve();
    if (this.st === 'reconnecting') return new Promise<void>((resolve, reject) => this.waiters.push({ resolve: resolve, reject: reject }));
    return Promise.reject(new SimedgeError('LINK_LOST', 'transport is ' + this.st));
  }

  private onMessage(topic: string, bytes: Uint8Array): void {
    if (!Object.prototype.hasOwnProperty.call(this.handlers, topic)) {
      if (TRACE) this.note('message on unsubscribed topic ' + topic + ' dropped');
      return;
    }
    try {
      (this.handlers[topic] as (b: Uint8Array) => void)(bytes);
    } catch (e) {
      if (TRACE) this.note('message handler failed: ' + String(e));
    }
  }

  private onLost(cause: string): void {
    if (this.st !== 'up') return; // our own disconnect, or already reconnecting
    this.st = 'reconnecting';
    this.attempt = 0;
    this.subscribed = [];
    if (TRACE) this.note('link lost (' + cause + ')');
    const fns = this.lostFns.slice();
    for (let i = 0; i < fns.length; i++) {
      try {
        (fns[i] as Listener<string>)(cause);
      } catch (e) {
        if (TRACE) this.note('onLinkLost listener failed: ' + String(e));
      }
    }
    this.schedule();
  }

  private schedule(): void {
    const max = this.o.backoff && this.o.backoff.attempts !== undefined ? this.o.backoff.attempts : 6;
    if (this.attempt >= max) return this.giveUp();
    const ms = backoffDelay(this.platform, this.attempt, this.o.backoff);
    this.attempt++;
    this.timer = this.platform.setTimer(() => {
      this.timer = undefined;
      this.reconnect();
    }, ms);
  }

  private reconnect(): void {
    if (this.st !== 'reconnecting') return;
    const topics = Object.keys(this.handlers);
    if (TRACE) this.note('reconnect attempt ' + this.attempt);
    this.serial(() => this.driver.open(this.host, this.port, this.clientId).then(() => this.resubscribe(topics, 0)))
      .then(() => {
        if (this.st !== 'reconnecting') return;
        this.st = 'up';
        this.subscribed = topics;
        const w = this.waiters.splice(0, this.waiters.length);
        for (let i = 0; i < w.length; i++) (w[i] as Waiter).resolve();
      }, (e: unknown) => {
        if (this.st !== 'reconnecting') return;
        if (TRACE) this.note('reconnect failed: ' + String(e instanceof Error ? e.message : e));
        this.schedule();
      });
  }

  private resubscribe(topics: string[], i: number): Promise<void> {
    if (i >= topics.length) return Promise.resolve();
    return this.driver.subscribe(topics[i] as string).then(() => this.resubscribe(topics, i + 1));
  }

  private giveUp(): void {
    this.st = 'failed';
    const err = new SimedgeError('LINK_LOST', 'gave up after ' + this.attempt + ' reconnect attempts');
    this.rejectWaiters(err);
    this.serial(() => this.driver.disconnect()).then(() => this.driver.stop());
    const fns = this.failFns.slice();
    for (let i = 0; i < fns.length; i++) {
      try {
        (fns[i] as Listener<Error>)(err);
      } catch (e) {
        if (TRACE) this.note('onFail listener failed: ' + String(e));
      }
    }
  }

  private rejectWaiters(e: Error): void {
    const w = this.waiters.splice(0, this.waiters.length);
    for (let i = 0; i < w.length; i++) (w[i] as Waiter).reject(e);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.platform.clearTimer(this.timer);
    this.timer = undefined;
  }

  private note(s: string): void {
    if (!TRACE || !this.o.note) return;
    try {
      this.o.note(s);
    } catch (e) {
      // diagnostics must not break the link
    }
  }
}
