// The resource template: what a device asks the network to run for it (DESIGN.md "Wire format").
// It travels as the payload of the manufacturer's COSE_Sign1; `validateTemplate` turns decoded
// CBOR into a typed Template or throws TEMPLATE_INVALID with the offending field's path.
import { Checker, type Obj } from './check.js';

export const MAX_INLINE_ART = 4096;

export interface ArtefactRef {
  sha256: Uint8Array;
  size: number;
  url: string;
}

export interface ServiceSpec {
  /** Service name in the edge catalog, e.g. "onem2m-cse" or "fn". */
  n: string;
  /** Semver range of acceptable versions. */
  ver?: string;
  /** Slice functions the service must provide (oneM2M: reg, ret, sub, not). */
  fns?: string[];
  /** `device`: a private instance; `class`: one instance shared by the class on an edge. */
  share?: 'device' | 'class';
  res?: { cpu?: number; mem?: number };
  cfg?: Record<string, unknown>;
  /** Inline code (≤ 4 KiB) or a reference to an artefact fetched by digest. */
  art?: Uint8Array | ArtefactRef;
}

export interface Template {
  v: 1;
  tid: string;
  seq: number;
  cls: string;
  mfr: string;
  iat: number;
  exp: number;
  bind?: { iccid?: string[]; imsi?: string[]; plmn?: string[] };
  svc: ServiceSpec[];
}

const NAME = /^[a-z0-9][a-z0-9._/-]*$/;
const DIGITS = /^[0-9]+$/;
const c: Checker = new Checker('TEMPLATE_INVALID');

function service(v: unknown, path: string): ServiceSpec {
  const o = c.obj(v, path);
  c.only(o, path, ['n', 'ver', 'fns', 'share', 'res', 'cfg', 'art']);
  const s: ServiceSpec = { n: c.str(o.n, `${path}.n`, 32, NAME) };
  if (o.ver !== undefined) s.ver = c.str(o.ver, `${path}.ver`, 32);
  if (o.fns !== undefined) s.fns = c.strs(o.fns, `${path}.fns`, 16, 16, NAME);
  if (o.share !== undefined) s.share = c.oneOf(o.share, `${path}.share`, ['device', 'class'] as const);
  if (o.res !== undefined) {
    const r = c.obj(o.res, `${path}.res`);
    c.only(r, `${path}.res`, ['cpu', 'mem']);
    s.res = {};
    if (r.cpu !== undefined) s.res.cpu = c.num(r.cpu, `${path}.res.cpu`, 0, 64);
    if (r.mem !== undefined) s.res.mem = c.int(r.mem, `${path}.res.mem`, 1, 65536);
  }
  if (o.cfg !== undefined) s.cfg = c.obj(o.cfg, `${path}.cfg`);
  if (o.art !== undefined) {
    if (o.art instanceof Uint8Array) s.art = c.bytes(o.art, `${path}.art`, 1, MAX_INLINE_ART);
    else {
      const a = c.obj(o.art, `${path}.art`);
      c.only(a, `${path}.art`, ['sha256', 'size', 'url']);
      s.art = {
        sha256: c.bytes(a.sha256, `${path}.art.sha256`, 32, 32),
        size: c.int(a.size, `${path}.art.size`, 1, 512 * 1024 * 1024),
        url: c.str(a.url, `${path}.art.url`, 512),
      };
    }
  }
  return s;
}

/** Check decoded CBOR against the template schema; returns a typed copy. */
export function validateTemplate(v: unknown): Template {
  const o: Obj = c.obj(v, 'template');
  c.only(o, 'template', ['v', 'tid', 'seq', 'cls', 'mfr', 'iat', 'exp', 'bind', 'svc']);
  if (o.v !== 1) c.fail('template.v', 'must be 1');
  const t: Template = {
    v: 1,
    tid: c.str(o.tid, 'template.tid', 64, NAME),
    seq: c.int(o.seq, 'template.seq', 0, 0xffffffff),
    cls: c.str(o.cls, 'template.cls', 64, NAME),
    mfr: c.str(o.mfr, 'template.mfr', 64, NAME),
    iat: c.int(o.iat, 'template.iat'),
    exp: c.int(o.exp, 'template.exp'),
    svc: [],
  };
  if (t.exp <= t.iat) c.fail('template.exp', 'must be after iat');
  if (o.bind !== undefined) {
    const b = c.obj(o.bind, 'template.bind');
    c.only(b, 'template.bind', ['iccid', 'imsi', 'plmn']);
    t.bind = {};
    if (b.iccid !== undefined) t.bind.iccid = c.strs(b.iccid, 'template.bind.iccid', 32, 22, DIGITS);
    if (b.imsi !== undefined) t.bind.imsi = c.strs(b.imsi, 'template.bind.imsi', 32, 15, DIGITS);
    if (b.plmn !== undefined) t.bind.plmn = c.strs(b.plmn, 'template.bind.plmn', 32, 6, DIGITS);
  }
  if (!Array.isArray(o.svc) || o.svc.length === 0 || o.svc.length > 8) c.fail('template.svc', 'must list 1..8 services');
  t.svc = o.svc.map((s, i) => service(s, `template.svc[${i}]`));
  return t;
}
