// The provisioning client's codec on a microcontroller: the tiny CBOR of ./cbor.ts plus field
// checks of the down messages with the same bounds as wire/messages.ts decodeDown (which needs
// cbor-x and is Node-only). Returns only the known fields, like decodeDown. Hostile input gives a
// SimedgeError (CBOR_*, MSG_INVALID, MSG_UNKNOWN_TYPE); the client turns that into a trace, never
// a throw out of the transport callback (STYLE #9).
import { SimedgeError } from '../../wire/codes.js';
import type { DownMsg, Endpoint, UpMsg } from '../../wire/messages.js';
import type { ProvisionCodec } from '../provision.js';
import { decode, encode, type DeviceLimits } from './cbor.js';

type Obj = { [k: string]: unknown };

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

function fail(path: string, why: string): never {
  throw new SimedgeError('MSG_INVALID', path + ': ' + why);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(path, 'must be a map');
  return v as Obj;
}

function str(o: Obj, k: string, max: number, path?: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) fail(path || k, 'must be text of 1..' + max + ' characters');
  return v;
}

function id(o: Obj, k: string): string {
  const s = str(o, k, 64);
  if (!ID.test(s)) fail(k, 'must be an id');
  return s;
}

function endpoints(v: unknown): Endpoint[] {
  if (!Array.isArray(v) || v.length > 16) fail('svc', 'must be a list of at most 16 endpoints');
  const out: Endpoint[] = [];
  for (let i = 0; i < v.length; i++) {
    const p = 'svc[' + i + ']';
    const e = obj(v[i], p);
    out.push({ n: str(e, 'n', 32, p + '.n'), ep: str(e, 'ep', 256, p + '.ep') });
  }
  return out;
}

/** Validate a decoded down message (FIG. 2 steps 203, 204, 207, 210). */
export function checkDown(v: unknown): DownMsg {
  const o = obj(v, 'message');
  const t = o.t;
  if (t === 'chal') {
    const n = o.nonce;
    if (!(n instanceof Uint8Array) || n.length < 8 || n.length > 32) fail('nonce', 'must be 8..32 bytes');
    const ttl = o.ttl;
    if (typeof ttl !== 'number' || ttl !== Math.floor(ttl) || ttl < 1 || ttl > 3600) fail('ttl', 'must be an integer in 1..3600');
    return { t: t, rid: id(o, 'rid'), nonce: n, ttl: ttl };
  }
  if (t === 'acc') return { t: t, rid: id(o, 'rid'), pid: id(o, 'pid'), edge: id(o, 'edge') };
  if (t === 'rej') return { t: t, rid: id(o, 'rid'), code: str(o, 'code', 32), msg: str(o, 'msg', 256) };
  if (t === 'ready') return { t: t, pid: id(o, 'pid'), edge: id(o, 'edge'), svc: endpoints(o.svc) };
  if (t === 'term') return { t: t, pid: id(o, 'pid'), why: str(o, 'why', 32) };
  throw new SimedgeError('MSG_UNKNOWN_TYPE', typeof t === 'string' ? t.substring(0, 32) : 'missing t');
}

/** A ProvisionCodec for devices; limits bound what a down message may cost to decode. */
export function deviceCodec(limits?: DeviceLimits): ProvisionCodec {
  return {
    encode: (m: UpMsg) => encode(m),
    decodeDown: (b: Uint8Array) => checkDown(decode(b, limits)),
  };
}
