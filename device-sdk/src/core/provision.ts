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
import { has, noop, toHex, type Platform } from './platform.js';
import { DETAIL, FULL, IOTSAFE, TRACE } from './flags.js';

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

/**
 * What the hello/prov requests and the bye share: one map by rid, one deadline, one way to fail
 * (timeout, a failed publish, close()). A wait is live while the map holds it.
 */
interface Wait<T> {
  rid: string;
  state: ProvState;
  timer: unknown;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

/** The helpers only clear, fail or reject a wait: any result type fits. */
type AnyWait = Wait<never>;

interface Request extends Wait<DevReady> {
  /** Sent in the prov; the hello's info and reason are not needed after the hello. */
  template: Uint8Array;
}

/** A live provision, keyed by its pid (the acc's edge is not needed after the acc). */
interface Provision {
  state: 'accepted' | 'ready' | 'bye-sent';
  /** The request still waiting for this provision's ready. */
  request: Request | undefined;
}

interface ByeWait extends Wait<Term[]> {
  pids: string[];
  terms: Term[];
}

const EARLY_READY_MAX = 4;

/** The client's API (NodeDevice, Provisioner and the Espruino firmware API use it). */
export interface ProvisionClient {
  /** State of the latest request (see the header). */
  readonly state: ProvState;
  /** Pids the core currently serves for this device (accepted or ready, not yet terminated). */
  active(): string[];
  /** The ready message of a live provision. */
  readyOf(pid: string): DevReady | undefined;
  /** Subscribe to the device's down topic (once; provision() does it when needed). */
  start(): Promise<void>;
  /** Run one provisioning exchange; resolves with the core's ready (services and endpoints). */
  provision(info: DeviceInfo, why: Reason, template: Uint8Array): Promise<DevReady>;
  /**
   * Say goodbye (step 208) and resolve with a term (step 210) for every live provision.
   * Resolves [] at once when nothing is live; rejects with TIMEOUT naming the pids without a term
   * after timeoutMs (default: the client's timeoutMs).
   */
  bye(why?: 'off' | 'leave', timeoutMs?: number): Promise<Term[]>;
  /** Stop: fail every pending request and bye with TRANSPORT and clear their timers. */
  close(): void;
}

/**
 * `new ProvisionClient(opts)`. Closures instead of a class: the state lives in local variables,
 * which minify to one letter, where a class pays `this.` and a member name on every access (the
 * Espruino bundle keeps its source in RAM).
 */
export const ProvisionClient = function ProvisionClient(opts: ProvisionOptions): ProvisionClient {
  const o = opts;
  const platform = opts.platform;
  const up = topics.deviceUp(opts.imsi); // throws TypeError on a malformed IMSI
  const down = topics.deviceDown(opts.imsi);
  const timeoutMs = opts.timeoutMs === undefined ? 10000 : opts.timeoutMs;
  const readyTimeoutMs = FULL && opts.readyTimeoutMs !== undefined ? opts.readyTimeoutMs : 30000; // FULL: the Espruino firmware API cannot pass it
  /** Live requests and the live bye (state 'bye-sent'), by rid. */
  const requests: { [rid: string]: Request | ByeWait } = {};
  const provisions: { [pid: string]: Provision } = {};
  const readies: { [pid: string]: DevReady } = {};
  /** `ready` that overtook its `acc` (different paths in the core); matched when acc arrives. */
  const early: DevReady[] = [];
  let byeWait: ByeWait | undefined;
  /** The live bye's promise, handed to a second bye() while the first waits. */
  let byePromise: Promise<Term[]> = Promise.resolve([]);
  let latest = '';
  let st: ProvState = 'idle';
  let started: Promise<void> | undefined;

  const active = (): string[] => Object.keys(provisions);

  const trace = (step: Step | undefined, ev: string, detail?: string): void => {
    const sink = o.trace;
    if (!TRACE || !sink) return;
    const e: TraceEvent = {
      at: platform.now(), actor: 'device:' + o.imsi, imsi: o.imsi, ev: ev,
    };
    if (step !== undefined) e.step = step;
    if (detail !== undefined) e.detail = detail;
    try {
      sink(e);
    } catch (err) {
      // A failing trace sink must not break provisioning.
    }
  };

  const setState = (req: AnyWait, s: ProvState): void => {
    req.state = s;
    if (req.rid === latest) st = s;
  };

  const done = (req: AnyWait): void => {
    platform.clearTimer(req.timer);
    delete requests[req.rid];
  };

  const fail = (req: AnyWait, e: Error): void => {
    if (requests[req.rid] !== req) return;
    done(req);
    req.reject(e);
  };

  const arm = (req: AnyWait, ms: number, waitingFor: string): void => {
    if (req.timer !== undefined) platform.clearTimer(req.timer);
    req.timer = platform.setTimer(() => {
      if (requests[req.rid] !== req) return;
      if (TRACE) trace(undefined, 'timeout', 'waiting for ' + waitingFor);
      const w = byeWait;
      // A bye names the pids still without a term.
      fail(req, new SimedgeError('TIMEOUT', DETAIL ? (w && req === w ? 'no term for ' + w.pids.filter((p) => has(provisions, p)).join(',') : 'no ' + waitingFor + ' within ' + ms + ' ms') : undefined));
    }, ms);
  };

  const publish = (msg: UpMsg): Promise<void> => {
    let bytes: Uint8Array;
    try {
      bytes = o.codec.encode(msg);
    } catch (e) {
      return Promise.reject(e);
    }
    return o.transport.publish(up, bytes);
  };

  const send = (req: AnyWait, msg: UpMsg): void => {
    publish(msg).then(noop, (e: unknown) => fail(req, asTransport(e)));
  };

  const onChal = (m: Chal): void => {
    const req = requests[m.rid] as Request | undefined; // a bye is never 'hello-sent' or 'prov-sent'
    if (!req || req.state !== 'hello-sent') return; // another rid, or a duplicate chal
    setState(req, 'prov-sent');
    arm(req, timeoutMs, 'acc');
    if (TRACE) trace(203, 'chal');
    // IoT SAFE proofs: only the Espruino bundle built with the IoT SAFE client has them (IOTSAFE: core/flags.ts).
    const prov = (proof: Uint8Array | undefined): void => {
      if (requests[req.rid] !== req) return; // timed out meanwhile
      const msg: UpMsg = { t: 'prov', rid: req.rid, imsi: o.imsi, nonce: m.nonce, tpl: req.template };
      if (proof) msg.proof = proof;
      if (TRACE) trace(203, 'prov', 'tpl=' + req.template.length + 'B' + (proof ? ' proof' : ''));
      send(req, msg);
    };
    // Without proofs (the lean build) the prov goes out at once; with them, when the SIM signed.
    if (!FULL && !IOTSAFE) return prov(undefined);
    let prove: Promise<Uint8Array | undefined>;
    try {
      prove = o.prove ? o.prove(m.nonce, req.template) : Promise.resolve(undefined);
    } catch (e) {
      // A prover that throws (instead of rejecting) fails this request now, not by its deadline:
      // this runs inside the down-message handler, which swallows what is thrown.
      prove = Promise.reject(e);
    }
    prove.then(prov, (e: unknown) => fail(req, asTransport(e)));
  };

  /** A ready for a provision that is already ready: a duplicate, or endpoints that moved. */
  const onMoved = (m: DevReady): void => {
    const before = readies[m.pid];
    if (before && JSON.stringify(before.svc) === JSON.stringify(m.svc) && before.edge === m.edge) return; // duplicate
    readies[m.pid] = m;
    if (TRACE) trace(207, 'moved', 'pid=' + m.pid + ' svc=' + m.svc.map((s) => s.n + '@' + s.ep).join(','));
    if (!o.onUpdate) return;
    try {
      o.onUpdate(m);
    } catch (e) {
      if (TRACE) trace(undefined, 'internal-error', 'onUpdate: ' + String(e));
    }
  };

  const onReady = (m: DevReady): void => {
    const p = provisions[m.pid];
    if (!p) {
      // Possibly ahead of its acc; keep a few, drop the oldest (bounded memory).
      if (early.length >= EARLY_READY_MAX) early.shift();
      early.push(m);
      return;
    }
    if (p.state === 'ready') {
      // Endpoints that moved: onUpdate is not reachable from the Espruino firmware API, which
      // keeps the first ready (FULL: core/flags.ts).
      if (FULL) onMoved(m);
      return;
    }
    if (p.state !== 'accepted') return; // late: bye already sent
    p.state = 'ready';
    readies[m.pid] = m;
    if (TRACE) trace(207, 'ready', 'pid=' + m.pid + ' edge=' + m.edge + ' svc=' + m.svc.map((s) => s.n).join(','));
    const req = p.request;
    p.request = undefined;
    if (!req || requests[req.rid] !== req) return; // its request timed out: still tracked for bye
    setState(req, 'ready');
    done(req);
    req.resolve(m);
  };

  const onAcc = (m: Acc): void => {
    const req = requests[m.rid] as Request | undefined; // a bye is never 'hello-sent' or 'prov-sent'
    if (!req || req.state !== 'prov-sent') return;
    setState(req, 'accepted');
    provisions[m.pid] = { state: 'accepted', request: req };
    arm(req, readyTimeoutMs, 'ready');
    if (TRACE) trace(204, 'acc', 'pid=' + m.pid + ' edge=' + m.edge);
    for (let i = 0; i < early.length; i++) {
      const r = early[i] as DevReady;
      if (r.pid === m.pid) {
        early.splice(i, 1);
        onReady(r);
        return;
      }
    }
  };

  const onRej = (m: Rej): void => {
    const req = requests[m.rid] as Request | undefined; // a bye is never 'hello-sent' or 'prov-sent'
    if (!req || (req.state !== 'hello-sent' && req.state !== 'prov-sent')) return;
    setState(req, 'rejected');
    if (TRACE) trace(204, 'rej', m.code + ': ' + m.msg);
    fail(req, rejected(m.code, m.msg));
  };

  const onTerm = (m: Term): void => {
    const p = provisions[m.pid];
    if (!p) return; // unknown or already terminated (duplicate)
    delete provisions[m.pid];
    delete readies[m.pid];
    if (TRACE) trace(210, 'term', 'pid=' + m.pid + ' why=' + m.why);
    const req = p.request;
    if (req && requests[req.rid] === req) {
      // Terminated before it was ever ready (the edge failed after acc).
      setState(req, 'rejected');
      fail(req, rejected(m.why, 'terminated before ready'));
    }
    // The bye settles first: it is no longer live when the terminated state is decided.
    const w = byeWait;
    if (w && requests[w.rid] === w && w.pids.indexOf(m.pid) >= 0) {
      w.terms.push(m);
      if (w.terms.length === w.pids.length) {
        done(w);
        w.resolve(w.terms);
      }
    }
    if (active().length === 0 && Object.keys(requests).length === 0) st = 'terminated';
    if (o.onTerm) {
      try {
        o.onTerm(m);
      } catch (e) {
        if (TRACE) trace(undefined, 'internal-error', 'onTerm: ' + String(e));
      }
    }
  };

  /** Entry point for every down message; never throws (STYLE #9). */
  const onMessage = (bytes: Uint8Array): void => {
    let m: DownMsg;
    try {
      m = o.codec.decodeDown(bytes);
    } catch (e) {
      if (TRACE) trace(undefined, 'bad-down', String(e));
      return;
    }
    try {
      switch (m.t) {
        case 'chal': return onChal(m);
        case 'acc': return onAcc(m);
        case 'rej': return onRej(m);
        case 'ready': return onReady(m);
        case 'term': return onTerm(m);
      }
    } catch (e) {
      if (TRACE) trace(undefined, 'internal-error', String(e));
    }
  };

  const start = (): Promise<void> => {
    if (!started) {
      started = o.transport.subscribe(down, onMessage);
      started.then(noop, () => {
        started = undefined; // let a later call retry
      });
    }
    return started;
  };

  return {
    get state(): ProvState {
      return st;
    },

    active: active,

    readyOf(pid: string): DevReady | undefined {
      return readies[pid];
    },

    start: start,

    provision(info: DeviceInfo, why: Reason, template: Uint8Array): Promise<DevReady> {
      // In the lean build only simedge.ts calls this, with a constant reason, the template it
      // checked and the IMSI the client was made for (FULL: core/flags.ts).
      if (FULL && why !== 'on' && why !== 'reset' && why !== 'roam') throw new TypeError('provision: why must be on, reset or roam');
      if (FULL && (!(template instanceof Uint8Array) || template.length === 0)) throw new TypeError('provision: template must be COSE bytes');
      if (FULL && info.imsi !== o.imsi) throw new TypeError('provision: info.imsi differs from the client IMSI');
      const subscribed = start().then(noop, (e: unknown) => {
        throw asTransport(e);
      });
      return subscribed.then(() => new Promise<DevReady>((resolve, reject) => {
        const rid = toHex(platform.randomBytes(8));
        const req: Request = { rid: rid, template: template, state: 'hello-sent', timer: undefined, resolve: resolve, reject: reject };
        requests[rid] = req;
        latest = rid;
        st = 'hello-sent';
        arm(req, timeoutMs, 'chal');
        if (TRACE) trace(203, 'hello', 'why=' + why + ' cell=' + info.cell + ' plmn=' + info.plmn);
        send(req, { t: 'hello', rid: rid, imsi: info.imsi, iccid: info.iccid, plmn: info.plmn, cell: info.cell, why: why });
      }));
    },

    bye(why?: 'off' | 'leave', byeTimeoutMs?: number): Promise<Term[]> {
      const live = byeWait;
      if (live && requests[live.rid] === live) return byePromise;
      const pids = active();
      if (pids.length === 0) return Promise.resolve([]);
      for (let i = 0; i < pids.length; i++) (provisions[pids[i] as string] as Provision).state = 'bye-sent';
      st = 'bye-sent';
      if (TRACE) trace(208, 'bye', 'pids=' + pids.join(','));
      byePromise = new Promise<Term[]>((resolve, reject) => {
        const rid = toHex(platform.randomBytes(8));
        const wait: ByeWait = { rid: rid, state: 'bye-sent', timer: undefined, resolve: resolve, reject: reject, pids: pids, terms: [] };
        requests[rid] = wait;
        byeWait = wait;
        arm(wait, FULL && byeTimeoutMs !== undefined ? byeTimeoutMs : timeoutMs, 'term');
        send(wait, { t: 'bye', rid: rid, imsi: o.imsi, why: why || 'off' });
      });
      return byePromise;
    },

    close(): void {
      // Requests and the bye alike.
      const rids = Object.keys(requests);
      for (let i = 0; i < rids.length; i++) fail(requests[rids[i] as string] as AnyWait, new SimedgeError('TRANSPORT', 'provisioning client closed'));
    },
  };
} as unknown as new (opts: ProvisionOptions) => ProvisionClient;

function asTransport(e: unknown): Error {
  if (e instanceof SimedgeError) return e;
  return new SimedgeError('TRANSPORT', e instanceof Error ? e.message : String(e));
}
