// The device side of provisioning (FIG. 2 steps 203-210): hello → chal → prov → acc → ready,
// later bye → term. Portable: codec, transport and platform are injected, so the same machine
// runs over MQTT.js on Node and over a modem's internal MQTT on a microcontroller.
//
// States (of the latest request, `state`): idle → hello-sent → prov-sent → accepted → ready →
// bye-sent → terminated, or rejected. Several provisions can be alive at once: after a roam the
// new one is ready before the core terminates the old one (make-before-break), so records are
// kept per pid. Down messages are idempotent: duplicates and other request ids are ignored.
import { SimedgeError } from '../wire/codes.js';
import type { Acc, Chal, DevReady, DownMsg, Reason, Rej, Term, UpMsg } from '../wire/messages.js';
import { topics } from '../wire/topics.js';
import type { Step, TraceEvent, TraceSink } from '../wire/trace.js';
import { toHex, type Platform } from './platform.js';
import { TRACE } from './flags.js';

export type ProvState = 'idle' | 'hello-sent' | 'prov-sent' | 'accepted' | 'ready' | 'bye-sent' | 'terminated' | 'rejected';

export interface ProvisionCodec {
  encode(msg: UpMsg): Uint8Array;
  /** Throws on anything malformed (the client then ignores the message). */
  decodeDown(bytes: Uint8Array): DownMsg;
}

export interface ProvisionTransport {
  publish(topic: string, bytes: Uint8Array): Promise<void>;
  subscribe(topic: string, onMessage: (bytes: Uint8Array) => void): Promise<void>;
}

/** What hello reports about the device; an AttachInfo fits. */
export interface DeviceInfo {
  imsi: string;
  iccid: string;
  plmn: string;
  cell: string;
}

export interface ProvisionOptions {
  imsi: string;
  codec: ProvisionCodec;
  transport: ProvisionTransport;
  platform: Platform;
  /** Deadline for chal, acc and term (default 10000 ms). */
  timeoutMs?: number;
  /** Deadline for ready after acc: the edge starts services meanwhile (default 30000 ms). */
  readyTimeoutMs?: number;
  trace?: TraceSink;
  /** Every term, whether it answers our bye or arrives unprompted (old provision after a roam). */
  onTerm?: (t: Term) => void;
  /** New endpoints for a provision already ready (its edge restarted a service elsewhere). */
  onUpdate?: (r: DevReady) => void;
  /** SIM proof over the nonce (IoT SAFE); without it the core relies on network attestation. */
  prove?: (nonce: Uint8Array, template: Uint8Array) => Promise<Uint8Array | undefined>;
}

/** A REJECTED error also carries the core's code and message. */
export interface RejectedError extends SimedgeError {
  rejCode: string;
  rejMsg: string;
}

export function isRejected(e: unknown): e is RejectedError {
  return e instanceof SimedgeError && e.code === 'REJECTED' && typeof (e as RejectedError).rejCode === 'string';
}

function rejected(code: string, msg: string): RejectedError {
  const e = new SimedgeError('REJECTED', code) as RejectedError;
  e.rejCode = code;
  e.rejMsg = msg;
  return e;
}

interface Request {
  rid: string;
  info: DeviceInfo;
  why: Reason;
  template: Uint8Array;
  state: ProvState;
  timer: unknown;
  resolve: (r: DevReady) => void;
  reject: (e: Error) => void;
}

interface Provision {
  pid: string;
  edge: string;
  state: 'accepted' | 'ready' | 'bye-sent';
  /** The request still waiting for this provision's ready. */
  request: Request | undefined;
}

interface ByeWait {
  pids: string[];
  terms: Term[];
  timer: unknown;
  promise: Promise<Term[]>;
  resolve: (t: Term[]) => void;
  reject: (e: Error) => void;
}

const EARLY_READY_MAX = 4;

export class ProvisionClient {
  private readonly o: ProvisionOptions;
  private readonly up: string;
  private readonly down: string;
  private readonly timeoutMs: number;
  private readonly readyTimeoutMs: number;
  private requests: { [rid: string]: Request } = {};
  private provisions: { [pid: string]: Provision } = {};
  private readies: { [pid: string]: DevReady } = {};
  /** `ready` that overtook its `acc` (different paths in the core); matched when acc arrives. */
  private early: DevReady[] = [];
  private byeWait: ByeWait | undefined;
  private latest = '';
  private st: ProvState = 'idle';
  private started: Promise<void> | undefined;

  constructor(opts: ProvisionOptions) {
    this.o = opts;
    this.up = topics.deviceUp(opts.imsi); // throws TypeError on a malformed IMSI
    this.down = topics.deviceDown(opts.imsi);
    this.timeoutMs = opts.timeoutMs === undefined ? 10000 : opts.timeoutMs;
    this.readyTimeoutMs = opts.readyTimeoutMs === undefined ? 30000 : opts.readyTimeoutMs;
  }

  get state(): ProvState {
    return this.st;
  }

  /** Pids the core currently serves for this device (accepted or ready, not yet terminated). */
  active(): string[] {
    return Object.keys(this.provisions);
  }

  /** The ready message of a live provision. */
  readyOf(pid: string): DevReady | undefined {
    return this.readies[pid];
  }

  /** Subscribe to the device's down topic (once; provision() does it when needed). */
  start(): Promise<void> {
    if (!this.started) {
      this.started = this.o.transport.subscribe(this.down, (b) => this.onMessage(b));
      this.started.catch(() => {
        this.started = undefined; // let a later call retry
      });
    }
    return this.started;
  }

  /** Run one provisioning exchange; resolves with the core's ready (services and endpoints). */
  provision(info: DeviceInfo, why: Reason, template: Uint8Array): Promise<DevReady> {
    if (why !== 'on' && why !== 'reset' && why !== 'roam') throw new TypeError('provision: why must be on, reset or roam');
    if (!(template instanceof Uint8Array) || template.length === 0) throw new TypeError('provision: template must be COSE bytes');
    if (info.imsi !== this.o.imsi) throw new TypeError('provision: info.imsi differs from the client IMSI');
    const subscribed = this.start().catch((e: unknown) => {
      throw asTransport(e);
    });
    return subscribed.then(() => new Promise<DevReady>((resolve, reject) => {
      const rid = toHex(this.o.platform.randomBytes(8));
      const req: Request = { rid: rid, info: info, why: why, template: template, state: 'hello-sent', timer: undefined, resolve: resolve, reject: reject };
      this.requests[rid] = req;
      this.latest = rid;
      this.st = 'hello-sent';
      this.arm(req, this.timeoutMs, 'chal');
      if (TRACE) this.trace(203, 'hello', 'why=' + why + ' cell=' + info.cell + ' plmn=' + info.plmn);
      this.send(req, { t: 'hello', rid: rid, imsi: info.imsi, iccid: info.iccid, plmn: info.plmn, cell: info.cell, why: why });
    }));
  }

  /**
   * Say goodbye (step 208) and resolve with a term (step 210) for every live provision.
   * Resolves [] at once when nothing is live; rejects with TIMEOUT naming the pids without a term
   * after timeoutMs (default: the client's timeoutMs).
   */
  bye(why?: 'off' | 'leave', timeoutMs?: number): Promise<Term[]> {
    if (this.byeWait) return this.byeWait.promise;
    const pids = this.active();
    if (pids.length === 0) return Promise.resolve([]);
    let resolve: (t: Term[]) => void = () => undefined;
    let reject: (e: Error) => void = () => undefined;
    const promise = new Promise<Term[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const wait: ByeWait = { pids: pids, terms: [], timer: undefined, promise: promise, resolve: resolve, reject: reject };
    this.byeWait = wait;
    for (let i = 0; i < pids.length; i++) (this.provisions[pids[i] as string] as Provision).state = 'bye-sent';
    this.st = 'bye-sent';
    wait.timer = this.o.platform.setTimer(() => {
      if (this.byeWait !== wait) return;
      this.byeWait = undefined;
      const missing = wait.pids.filter((p) => Object.prototype.hasOwnProperty.call(this.provisions, p));
      wait.reject(new SimedgeError('TIMEOUT', 'no term for ' + missing.join(',')));
    }, timeoutMs === undefined ? this.timeoutMs : timeoutMs);
    const rid = toHex(this.o.platform.randomBytes(8));
    const msg: UpMsg = { t: 'bye', rid: rid, imsi: this.o.imsi, why: why || 'off' };
    if (TRACE) this.trace(208, 'bye', 'pids=' + pids.join(','));
    this.publish(msg).catch((e: unknown) => {
      if (this.byeWait !== wait) return;
      this.byeWait = undefined;
      this.o.platform.clearTimer(wait.timer);
      wait.reject(asTransport(e));
    });
    return promise;
  }

  /** Stop: fail every pending request and bye with TRANSPORT and clear their timers. */
  close(): void {
    const rids = Object.keys(this.requests);
    for (let i = 0; i < rids.length; i++) this.fail(this.requests[rids[i] as string] as Request, new SimedgeError('TRANSPORT', 'provisioning client closed'));
    const w = this.byeWait;
    if (w) {
      this.byeWait = undefined;
      this.o.platform.clearTimer(w.timer);
      w.reject(new SimedgeError('TRANSPORT', 'provisioning client closed'));
    }
  }

  /** Entry point for every down message; never throws (STYLE #9). */
  private onMessage(bytes: Uint8Array): void {
    let m: DownMsg;
    try {
      m = this.o.codec.decodeDown(bytes);
    } catch (e) {
      if (TRACE) this.trace(undefined, 'bad-down', String(e));
      return;
    }
    try {
      switch (m.t) {
        case 'chal': return this.onChal(m);
        case 'acc': return this.onAcc(m);
        case 'rej': return this.onRej(m);
        case 'ready': return this.onReady(m);
        case 'term': return this.onTerm(m);
      }
    } catch (e) {
      if (TRACE) this.trace(undefined, 'internal-error', String(e));
    }
  }

  private onChal(m: Chal): void {
    const req = this.requests[m.rid];
    if (!req || req.state !== 'hello-sent') return; // another rid, or a duplicate chal
    this.setState(req, 'prov-sent');
    this.arm(req, this.timeoutMs, 'acc');
    if (TRACE) this.trace(203, 'chal');
    const prove = this.o.prove ? this.o.prove(m.nonce, req.template) : Promise.resolve(undefined);
    prove.then((proof) => {
      if (this.requests[req.rid] !== req) return; // timed out meanwhile
      const msg: UpMsg = { t: 'prov', rid: req.rid, imsi: this.o.imsi, nonce: m.nonce, tpl: req.template };
      if (proof) msg.proof = proof;
      if (TRACE) this.trace(203, 'prov', 'tpl=' + req.template.length + 'B' + (proof ? ' proof' : ''));
      this.send(req, msg);
    }, (e: unknown) => this.fail(req, asTransport(e)));
  }

  private onAcc(m: Acc): void {
    const req = this.requests[m.rid];
    if (!req || req.state !== 'prov-sent') return;
    this.setState(req, 'accepted');
    this.provisions[m.pid] = { pid: m.pid, edge: m.edge, state: 'accepted', request: req };
    this.arm(req, this.readyTimeoutMs, 'ready');
    if (TRACE) this.trace(204, 'acc', 'pid=' + m.pid + ' edge=' + m.edge);
    for (let i = 0; i < this.early.length; i++) {
      const r = this.early[i] as DevReady;
      if (r.pid === m.pid) {
        this.early.splice(i, 1);
        this.onReady(r);
        return;
      }
    }
  }

  private onRej(m: Rej): void {
    const req = this.requests[m.rid];
    if (!req || (req.state !== 'hello-sent' && req.state !== 'prov-sent')) return;
    this.setState(req, 'rejected');
    if (TRACE) this.trace(204, 'rej', m.code + ': ' + m.msg);
    this.fail(req, rejected(m.code, m.msg));
  }

  private onReady(m: DevReady): void {
    const p = this.provisions[m.pid];
    if (!p) {
      // Possibly ahead of its acc; keep a few, drop the oldest (bounded memory).
      if (this.early.length >= EARLY_READY_MAX) this.early.shift();
      this.early.push(m);
      return;
    }
    if (p.state === 'ready') return this.onMoved(m);
    if (p.state !== 'accepted') return; // late: bye already sent
    p.state = 'ready';
    this.readies[m.pid] = m;
    if (TRACE) this.trace(207, 'ready', 'pid=' + m.pid + ' edge=' + m.edge + ' svc=' + m.svc.map((s) => s.n).join(','));
    const req = p.request;
    p.request = undefined;
    if (!req || this.requests[req.rid] !== req) return; // its request timed out: still tracked for bye
    this.setState(req, 'ready');
    this.done(req);
    req.resolve(m);
  }

  /** A ready for a provision that is already ready: a duplicate, or endpoints that moved. */
  private onMoved(m: DevReady): void {
    const before = this.readies[m.pid];
    if (before && JSON.stringify(before.svc) === JSON.stringify(m.svc) && before.edge === m.edge) return; // duplicate
    this.readies[m.pid] = m;
    if (TRACE) this.trace(207, 'moved', 'pid=' + m.pid + ' svc=' + m.svc.map((s) => s.n + '@' + s.ep).join(','));
    if (!this.o.onUpdate) return;
    try {
      this.o.onUpdate(m);
    } catch (e) {
      if (TRACE) this.trace(undefined, 'internal-error', 'onUpdate: ' + String(e));
    }
  }

  private onTerm(m: Term): void {
    const p = this.provisions[m.pid];
    if (!p) return; // unknown or already terminated (duplicate)
    delete this.provisions[m.pid];
    delete this.readies[m.pid];
    if (TRACE) this.trace(210, 'term', 'pid=' + m.pid + ' why=' + m.why);
    const req = p.request;
    if (req && this.requests[req.rid] === req) {
      // Terminated before it was ever ready (the edge failed after acc).
      this.setState(req, 'rejected');
      this.fail(req, rejected(m.why, 'terminated before ready'));
    }
    if (this.active().length === 0 && !this.inFlight()) this.st = 'terminated';
    if (this.o.onTerm) {
      try {
        this.o.onTerm(m);
      } catch (e) {
        if (TRACE) this.trace(undefined, 'internal-error', 'onTerm: ' + String(e));
      }
    }
    const w = this.byeWait;
    if (w && w.pids.indexOf(m.pid) >= 0) {
      w.terms.push(m);
      if (w.terms.length === w.pids.length) {
        this.byeWait = undefined;
        this.o.platform.clearTimer(w.timer);
        w.resolve(w.terms);
      }
    }
  }

  private inFlight(): boolean {
    return Object.keys(this.requests).length > 0;
  }

  private setState(req: Request, s: ProvState): void {
    req.state = s;
    if (req.rid === this.latest) this.st = s;
  }

  private arm(req: Request, ms: number, waitingFor: string): void {
    if (req.timer !== undefined) this.o.platform.clearTimer(req.timer);
    req.timer = this.o.platform.setTimer(() => {
      if (this.requests[req.rid] !== req) return;
      if (TRACE) this.trace(undefined, 'timeout', 'waiting for ' + waitingFor);
      this.fail(req, new SimedgeError('TIMEOUT', 'no ' + waitingFor + ' within ' + ms + ' ms'));
    }, ms);
  }

  private done(req: Request): void {
    this.o.platform.clearTimer(req.timer);
    delete this.requests[req.rid];
  }

  private fail(req: Request, e: Error): void {
    if (this.requests[req.rid] !== req) return;
    this.done(req);
    req.reject(e);
  }

  private send(req: Request, msg: UpMsg): void {
    this.publish(msg).catch((e: unknown) => this.fail(req, asTransport(e)));
  }

  private publish(msg: UpMsg): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = this.o.codec.encode(msg);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.o.transport.publish(this.up, bytes);
  }

  private trace(step: Step | undefined, ev: string, detail?: string): void {
    const sink = this.o.trace;
    if (!TRACE || !sink) return;
    const e: TraceEvent = {
      at: this.o.platform.now(), actor: 'device:' + this.o.imsi, imsi: this.o.imsi, ev: ev,
    };
    if (step !== undefined) e.step = step;
    if (detail !== undefined) e.detail = detail;
    try {
      sink(e);
    } catch (err) {
      // A failing trace sink must not break provisioning.
    }
  }
}

function asTransport(e: unknown): Error {
  if (e instanceof SimedgeError) return e;
  return new SimedgeError('TRANSPORT', e instanceof Error ? e.message : String(e));
}
