// Messages of the provisioning protocol (DESIGN.md "Messages"): CBOR maps whose field `t` is the
// type. One decoder per direction; each validates every field it returns and throws
// MSG_INVALID / MSG_UNKNOWN_TYPE (or a CBOR_* code) on anything else.
import { decodeCbor, encodeCbor, type DecodeLimits } from './cbor.js';
import { Checker, type Obj } from './check.js';
import { SimedgeError } from './codes.js';
import { validateTemplate, type ServiceSpec } from './template.js';

export type Reason = 'on' | 'reset' | 'roam';
export const REASONS: readonly Reason[] = ['on', 'reset', 'roam'];

/** A service endpoint the device can use once ready. */
export interface Endpoint { n: string; ep: string }

// device -> core (simedge/v1/d/{imsi}/up)
export interface Hello { t: 'hello'; rid: string; imsi: string; iccid: string; plmn: string; cell: string; why: Reason }
export interface Prov { t: 'prov'; rid: string; imsi: string; nonce: Uint8Array; tpl: Uint8Array; proof?: Uint8Array }
export interface Bye { t: 'bye'; rid: string; imsi: string; why: 'off' | 'leave' }
export type UpMsg = Hello | Prov | Bye;

// core -> device (simedge/v1/d/{imsi}/down)
export interface Chal { t: 'chal'; rid: string; nonce: Uint8Array; ttl: number }
export interface Acc { t: 'acc'; rid: string; pid: string; edge: string }
export interface Rej { t: 'rej'; rid: string; code: string; msg: string }
export interface DevReady { t: 'ready'; pid: string; edge: string; svc: Endpoint[] }
export interface Term { t: 'term'; pid: string; why: string }
export type DownMsg = Chal | Acc | Rej | DevReady | Term;

// core -> edge (simedge/v1/e/{edge}/orders), the payload of a core-signed COSE_Sign1
export interface DeployOrder { t: 'deploy'; oid: string; pid: string; edge: string; imsi: string; cls: string; tid: string; iat: number; exp: number; svc: ServiceSpec[] }
export interface RemoveOrder { t: 'remove'; oid: string; pid: string; edge: string; imsi: string; iat: number; exp: number }
export type Order = DeployOrder | RemoveOrder;

// edge -> core (simedge/v1/e/{edge}/events)
export interface Rcvd { t: 'rcvd'; oid: string; pid: string; edge: string }
export interface EdgeReady { t: 'ready'; oid: string; pid: string; edge: string; svc: Endpoint[] }
export interface Fail { t: 'fail'; oid: string; pid: string; edge: string; code: string; msg: string }
export interface Removed { t: 'removed'; oid: string; pid: string; edge: string }
export type EdgeEvent = Rcvd | EdgeReady | Fail | Removed;

// edge -> core (simedge/v1/e/{edge}/status), retained; the last will says online: false
export interface EdgeStatus {
  t: 'status'; edge: string; online: boolean; at: number; cells: string[];
  cap: { cpu: number; mem: number }; used: { cpu: number; mem: number }; inst: number;
}

/** Attach/detach events from the network (the simulator, or RADIUS accounting) to the core. */
export interface AttachEvent {
  imsi: string; ip: string; plmn: string; cell: string; at: number;
  /** Tracking area when the network reports one, named `<MCC><MNC>-<TAC as 4 upper-case hex>`
   *  ('24001-0A01'); a placement key after the cell (core-validator README, RADIUS accounting). */
  tai?: string;
}
export interface DetachEvent { imsi: string; at: number }

/**
 * The core's name for a tracking area [TS23.003 §19.4.2.3: TAI = MCC + MNC + TAC]: the PLMN's
 * digits, '-', the TAC as 4 upper-case hex digits ('24001-0A01'). The TAC is written like the cell
 * name (upper-case hex, fixed width); the PLMN is kept because a TAC is only unique within its
 * PLMN, so a visited network's TAC 0A01 is not the home network's. One function for the RADIUS
 * intake (core-validator) and the network simulator (hardware), so both name a TAI alike.
 */
export function taiName(plmn: string, tac: string): string {
  return `${plmn}-${tac.toUpperCase()}`;
}

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const DIGITS = /^[0-9]+$/;
const c: Checker = new Checker('MSG_INVALID');

const id = (o: Obj, k: string) => c.str(o[k], k, 64, ID);
const digits = (o: Obj, k: string, min: number, max: number) => {
  const s = c.str(o[k], k, max, DIGITS);
  if (s.length < min) c.fail(k, `must have at least ${min} digits`);
  return s;
};
const endpoints = (v: unknown): Endpoint[] => {
  if (!Array.isArray(v) || v.length > 16) c.fail('svc', 'must be a list of at most 16 endpoints');
  return v.map((e, i) => {
    const o = c.obj(e, `svc[${i}]`);
    return { n: c.str(o.n, `svc[${i}].n`, 32), ep: c.str(o.ep, `svc[${i}].ep`, 256) };
  });
};

type Parser<T> = (o: Obj) => T;

const UP: Record<string, Parser<UpMsg>> = {
  hello: (o) => ({ t: 'hello', rid: id(o, 'rid'), imsi: digits(o, 'imsi', 6, 15), iccid: digits(o, 'iccid', 10, 22), plmn: digits(o, 'plmn', 5, 6), cell: c.str(o.cell, 'cell', 32), why: c.oneOf(o.why, 'why', REASONS) }),
  prov: (o) => {
    const m: Prov = { t: 'prov', rid: id(o, 'rid'), imsi: digits(o, 'imsi', 6, 15), nonce: c.bytes(o.nonce, 'nonce', 8, 32), tpl: c.bytes(o.tpl, 'tpl', 1, 8192) };
    if (o.proof !== undefined) m.proof = c.bytes(o.proof, 'proof', 1, 256);
    return m;
  },
  bye: (o) => ({ t: 'bye', rid: id(o, 'rid'), imsi: digits(o, 'imsi', 6, 15), why: c.oneOf(o.why, 'why', ['off', 'leave'] as const) }),
};

const DOWN: Record<string, Parser<DownMsg>> = {
  chal: (o) => ({ t: 'chal', rid: id(o, 'rid'), nonce: c.bytes(o.nonce, 'nonce', 8, 32), ttl: c.int(o.ttl, 'ttl', 1, 3600) }),
  acc: (o) => ({ t: 'acc', rid: id(o, 'rid'), pid: id(o, 'pid'), edge: id(o, 'edge') }),
  rej: (o) => ({ t: 'rej', rid: id(o, 'rid'), code: c.str(o.code, 'code', 32), msg: c.str(o.msg, 'msg', 256) }),
  ready: (o) => ({ t: 'ready', pid: id(o, 'pid'), edge: id(o, 'edge'), svc: endpoints(o.svc) }),
  term: (o) => ({ t: 'term', pid: id(o, 'pid'), why: c.str(o.why, 'why', 32) }),
};

const services = (v: unknown): ServiceSpec[] => {
  // Reuse the template schema for the service list an order carries; a bad list is a bad
  // message (MSG_INVALID at `svc…`), as this module promises, not a bad template.
  try {
    return validateTemplate({ v: 1, tid: 'order', seq: 0, cls: 'order', mfr: 'order', iat: 0, exp: 1, svc: v }).svc;
  } catch (e) {
    if (e instanceof SimedgeError && e.code === 'TEMPLATE_INVALID') throw new SimedgeError('MSG_INVALID', (e.detail ?? 'svc').replace(/^template\./, ''));
    throw e;
  }
};

const ORDERS: Record<string, Parser<Order>> = {
  deploy: (o) => ({
    t: 'deploy', oid: id(o, 'oid'), pid: id(o, 'pid'), edge: id(o, 'edge'), imsi: digits(o, 'imsi', 6, 15),
    cls: c.str(o.cls, 'cls', 64), tid: c.str(o.tid, 'tid', 64), iat: c.int(o.iat, 'iat'), exp: c.int(o.exp, 'exp'), svc: services(o.svc),
  }),
  remove: (o) => ({ t: 'remove', oid: id(o, 'oid'), pid: id(o, 'pid'), edge: id(o, 'edge'), imsi: digits(o, 'imsi', 6, 15), iat: c.int(o.iat, 'iat'), exp: c.int(o.exp, 'exp') }),
};

const EVENTS: Record<string, Parser<EdgeEvent>> = {
  rcvd: (o) => ({ t: 'rcvd', oid: id(o, 'oid'), pid: id(o, 'pid'), edge: id(o, 'edge') }),
  ready: (o) => ({ t: 'ready', oid: id(o, 'oid'), pid: id(o, 'pid'), edge: id(o, 'edge'), svc: endpoints(o.svc) }),
  fail: (o) => ({ t: 'fail', oid: id(o, 'oid'), pid: id(o, 'pid'), edge: id(o, 'edge'), code: c.str(o.code, 'code', 32), msg: c.str(o.msg, 'msg', 256) }),
  removed: (o) => ({ t: 'removed', oid: id(o, 'oid'), pid: id(o, 'pid'), edge: id(o, 'edge') }),
};

const STATUS: Record<string, Parser<EdgeStatus>> = {
  status: (o) => {
    const cap = c.obj(o.cap, 'cap');
    const used = c.obj(o.used, 'used');
    if (typeof o.online !== 'boolean') c.fail('online', 'must be a boolean');
    return {
      t: 'status', edge: id(o, 'edge'), online: o.online as boolean, at: c.int(o.at, 'at'), cells: c.strs(o.cells, 'cells', 1024, 32),
      cap: { cpu: c.num(cap.cpu, 'cap.cpu', 0, 1e6), mem: c.num(cap.mem, 'cap.mem', 0, 1e9) },
      used: { cpu: c.num(used.cpu, 'used.cpu', 0, 1e6), mem: c.num(used.mem, 'used.mem', 0, 1e9) },
      inst: c.int(o.inst, 'inst'),
    };
  },
};

function decodeWith<T>(table: Record<string, Parser<T>>, bytes: Uint8Array, limits?: Partial<DecodeLimits>): T {
  const o = c.obj(decodeCbor(bytes, limits), 'message');
  const t = o.t;
  if (typeof t !== 'string' || !Object.prototype.hasOwnProperty.call(table, t)) {
    throw new SimedgeError('MSG_UNKNOWN_TYPE', typeof t === 'string' ? t.slice(0, 32) : 'missing t');
  }
  return (table[t] as Parser<T>)(o);
}

export const decodeUp = (b: Uint8Array, l?: Partial<DecodeLimits>) => decodeWith(UP, b, l);
export const decodeDown = (b: Uint8Array, l?: Partial<DecodeLimits>) => decodeWith(DOWN, b, l);
export const decodeEdgeEvent = (b: Uint8Array, l?: Partial<DecodeLimits>) => decodeWith(EVENTS, b, l);
export const decodeStatus = (b: Uint8Array, l?: Partial<DecodeLimits>) => decodeWith(STATUS, b, l);
/** Validate the decoded payload of a core-signed order (after its signature was verified). */
export const parseOrder = (b: Uint8Array, l?: Partial<DecodeLimits>) => decodeWith(ORDERS, b, l);

/** Encode any message deterministically. */
export function encodeMsg(m: UpMsg | DownMsg | Order | EdgeEvent | EdgeStatus): Uint8Array {
  return encodeCbor(m);
}
