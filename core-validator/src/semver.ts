// A small semver range matcher for the service catalog policy [semver.org 2.0.0; node-semver
// range grammar]: versions are MAJOR.MINOR.PATCH; ranges are `||`-separated sets of
// space-separated comparators, each `=`, `<`, `<=`, `>`, `>=`, `^`, `~`, an X-range (`1`, `1.x`,
// `1.2.*`, `*`) or a hyphen range (`1.2 - 2`). Prerelease tags are not supported: a catalog
// lists released versions. Written here because the parallel work may not add npm packages.

type V = [number, number, number];
interface Cmp { op: '<' | '<=' | '>' | '>=' | '='; v: V }

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/;

export function parseVersion(s: string): V | undefined {
  const m = VERSION.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: V, b: V): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** A partial version: the numbers given, stopping at the first wildcard or missing part. */
function partial(s: string): number[] | undefined {
  const m = PARTIAL.exec(s);
  if (!m) return undefined;
  const out: number[] = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || /[xX*]/.test(p)) break;
    out.push(Number(p));
  }
  return out;
}

const pad = (p: number[]): V => [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];

/** The version just above every version matching partial `p` (exclusive upper bound). */
function above(p: number[]): V | undefined {
  if (p.length === 0) return undefined;
  if (p.length === 1) return [(p[0] as number) + 1, 0, 0];
  if (p.length === 2) return [p[0] as number, (p[1] as number) + 1, 0];
  return undefined; // exact
}

function xrange(p: number[]): Cmp[] {
  if (p.length === 3) return [{ op: '=', v: pad(p) }];
  const hi = above(p);
  return hi ? [{ op: '>=', v: pad(p) }, { op: '<', v: hi }] : [];
}

function caret(p: number[]): Cmp[] {
  const [ma = 0, mi = 0, pa = 0] = p;
  // The leftmost non-zero part given may not change [node-semver: caret ranges].
  let hi: V;
  if (ma > 0 || p.length === 1) hi = [ma + 1, 0, 0];
  else if (mi > 0 || p.length === 2) hi = [0, mi + 1, 0];
  else hi = [0, 0, pa + 1];
  return [{ op: '>=', v: pad(p) }, { op: '<', v: hi }];
}

function tilde(p: number[]): Cmp[] {
  const [ma = 0, mi = 0] = p;
  const hi: V = p.length === 1 ? [ma + 1, 0, 0] : [ma, mi + 1, 0];
  return [{ op: '>=', v: pad(p) }, { op: '<', v: hi }];
}

function comparator(tok: string): Cmp[] | undefined {
  const m = /^(\^|~>?|>=|<=|>|<|=)?\s*(.+)$/.exec(tok);
  if (!m) return undefined;
  const op = m[1];
  const p = partial(m[2] as string);
  if (!p) return undefined;
  switch (op) {
    case undefined: case '=': return xrange(p);
    case '^': return caret(p);
    case '~': case '~>': return tilde(p);
    case '>=': return [{ op: '>=', v: pad(p) }];
    case '<': return [{ op: '<', v: pad(p) }];
    // `>1.2` means above every 1.2.x; `<=1.2` means up to and including every 1.2.x.
    case '>': { const hi = above(p); return [hi ? { op: '>=', v: hi } : { op: '>', v: pad(p) }]; }
    case '<=': { const hi = above(p); return p.length === 0 ? [] : [hi ? { op: '<', v: hi } : { op: '<=', v: pad(p) }]; }
    default: return undefined;
  }
}

/** Parse a range into alternatives of comparator sets; undefined when it is not a valid range. */
export function parseRange(range: string): Cmp[][] | undefined {
  if (range.length > 256) return undefined;
  const alts: Cmp[][] = [];
  for (const raw of range.split('||')) {
    const set = raw.trim();
    const hy = /^(\S+)\s+-\s+(\S+)$/.exec(set);
    if (hy) {
      const lo = partial(hy[1] as string);
      const hiP = partial(hy[2] as string);
      if (!lo || !hiP) return undefined;
      const hi = above(hiP);
      alts.push([{ op: '>=', v: pad(lo) }, ...(hiP.length === 0 ? [] : [hi ? { op: '<' as const, v: hi } : { op: '<=' as const, v: pad(hiP) }])]);
      continue;
    }
    // `>= 1.2` is one comparator: glue an operator to the version after it.
    const toks = set === '' ? [] : set.replace(/(\^|~>?|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/);
    const cmps: Cmp[] = [];
    for (const t of toks) {
      const c = comparator(t);
      if (!c) return undefined;
      cmps.push(...c);
    }
    alts.push(cmps);
  }
  return alts;
}

function test(v: V, c: Cmp): boolean {
  const d = cmp(v, c.v);
  switch (c.op) {
    case '<': return d < 0;
    case '<=': return d <= 0;
    case '>': return d > 0;
    case '>=': return d >= 0;
    case '=': return d === 0;
  }
}

/** Does `version` (MAJOR.MINOR.PATCH) satisfy `range`? False for anything unparsable. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  const alts = parseRange(range);
  if (!v || !alts) return false;
  return alts.some((set) => set.every((c) => test(v, c)));
}
