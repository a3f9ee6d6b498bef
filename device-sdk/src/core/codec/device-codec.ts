// The provisioning client's codec on a microcontroller: the tiny CBOR of ./cbor.ts plus field
// checks of the down messages with the same bounds as wire/messages.ts decodeDown (which needs
// TextDecoder and is for the Node side). Returns only the known fields, like decodeDown. Hostile input gives a
// SimedgeError (CBOR_*, MSG_INVALID, MSG_UNKNOWN_TYPE); the client turns that into a trace, never
// a throw out of the transport callback (STYLE #9).
import { SimedgeError } from '../../wire/codes.js';
import type { DownMsg, Endpoint, UpMsg } from '../../wire/messages.js';
import type { ProvisionCodec } from '../provision.js';
import { decode, encode, type DeviceLimits } from './cbor.js';
import { DETAIL } from '../flags.js';
import { has } from '../platform.js';
import { allChars, alnumOr } from '../../wire/chars.js';

type Obj = { [k: string]: unknown };

const ID_CHAR = alnumOr('_.:-');

// What each field of a down message must be: text of at most n characters (n > 0), or one of these.
const IDENT = 0; // an id: 1..64 of [A-Za-z0-9_.:-]
const NONCE = -1; // 8..32 bytes
const TTL = -2; // an integer in 1..3600
const SVC = -3; // at most 16 endpoints { n: text ≤ 32, ep: text ≤ 256 }

// One table, one checker: smaller than a function per message type (it ships to microcontrollers).
const DOWN: { [t: string]: { [field: string]: number } } = {
  chal: { rid: IDENT, nonce: NONCE, ttl: TTL },
  acc: { rid: IDENT, pid: IDENT, edge: IDENT },
  rej: { rid: IDENT, code: 32, msg: 256 },
  ready: { pid: IDENT, edge: IDENT, svc: SVC },
  term: { pid: IDENT, why: 32 },
};

// The path and the reason are built only where they are shown (DETAIL); the lean build keeps the code.
function fail(path: string, why: string | false): never {
  throw new SimedgeError('MSG_INVALID', DETAIL ? path + ': ' + why : undefined);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(path, DETAIL && 'must be a map');
  return v as Obj;
}

function field(v: unknown, kind: number, path: string): unknown {
  if (kind === NONCE) {
    if (!(v instanceof Uint8Array) || v.length < 8 || v.length > 32) fail(path, DETAIL && 'must be 8..32 bytes');
  } else if (kind === TTL) {
    if (typeof v !== 'number' || v !== Math.floor(v) || v < 1 || v > 3600) fail(path, DETAIL && 'must be an integer in 1..3600');
  } else if (kind === SVC) {
    if (!Array.isArray(v) || v.length > 16) fail(path, DETAIL && 'must be a list of at most 16 endpoints');
    const out: Endpoint[] = [];
    for (let i = 0; i < v.length; i++) {
      const p = DETAIL ? path + '[' + i + ']' : '';
      const e = obj(v[i], p);
      out.push({ n: field(e.n, 32, p + '.n') as string, ep: field(e.ep, 256, p + '.ep') as string });
    }
    return out;
  } else {
    const max = kind === IDENT ? 64 : kind;
    if (typeof v !== 'string' || v.length === 0 || v.length > max) fail(path, DETAIL && 'must be text of 1..' + max + ' characters');
    if (kind === IDENT && !allChars(v, 1, 64, ID_CHAR)) fail(path, DETAIL && 'must be an id');
  }
  return v;
}

/** Validate a decoded down message (FIG. 2 steps 203, 204, 207, 210). */
export function checkDown(v: unknown): DownMsg {
  const o = obj(v, 'message');
  const t = o.t;
  const spec = typeof t === 'string' && has(DOWN, t) ? DOWN[t] : undefined;
  if (!spec) throw new SimedgeError('MSG_UNKNOWN_TYPE', DETAIL ? (typeof t === 'string' ? t.substring(0, 32) : 'missing t') : undefined);
  const out: Obj = { t: t };
  const keys = Object.keys(spec);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out[k] = field(o[k], spec[k] as number, k);
  }
  return out as unknown as DownMsg;
}

/** A ProvisionCodec for devices; limits bound what a down message may cost to decode. */
export function deviceCodec(limits?: DeviceLimits): ProvisionCodec {
  return {
    encode: (m: UpMsg) => encode(m),
    decodeDown: (b: Uint8Array) => checkDown(decode(b, limits)),
  };
}
