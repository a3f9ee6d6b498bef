// The resource template schema (DESIGN.md "Wire format"): the design's example is accepted, and
// each kind of bad field is refused with TEMPLATE_INVALID naming the field's path.
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor, isSimedgeError, MAX_INLINE_ART, validateTemplate } from '../src/wire/index.js';

/** The example of DESIGN.md, with the inline-code service and a second one by reference. */
function example(): Record<string, unknown> {
  return {
    v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme',
    iat: 1764000000, exp: 1795536000,
    bind: { iccid: ['894601'], plmn: ['24001'] },
    svc: [
      { n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret', 'sub', 'not'], share: 'class', res: { cpu: 0.1, mem: 32 }, cfg: { offload: 'notify' } },
      { n: 'fn', share: 'device', art: new TextEncoder().encode('export default (x) => x * 2;'), res: { mem: 16 } },
      { n: 'fn', share: 'device', art: { sha256: new Uint8Array(32).fill(7), size: 1234, url: 'https://artefacts.example/fn.js' }, res: { mem: 16 } },
    ],
  };
}

function refusal(v: unknown): string {
  try {
    validateTemplate(v);
  } catch (e) {
    if (isSimedgeError(e)) return `${e.code} ${e.detail ?? ''}`;
    throw e;
  }
  return 'accepted';
}

type Mutation = [string, (t: Record<string, any>) => void, string]; // any: tests poke at arbitrary shapes on purpose

const BAD: Mutation[] = [
  ['v other than 1', (t) => { t.v = 2; }, 'template.v'],
  ['missing tid', (t) => { delete t.tid; }, 'template.tid'],
  ['tid with capitals/spaces', (t) => { t.tid = 'Acme Thermo'; }, 'template.tid'],
  ['tid too long', (t) => { t.tid = 'a'.repeat(65); }, 'template.tid'],
  ['seq negative', (t) => { t.seq = -1; }, 'template.seq'],
  ['seq fractional', (t) => { t.seq = 1.5; }, 'template.seq'],
  ['seq as text', (t) => { t.seq = '7'; }, 'template.seq'],
  ['cls empty', (t) => { t.cls = ''; }, 'template.cls'],
  ['mfr missing', (t) => { delete t.mfr; }, 'template.mfr'],
  ['iat missing', (t) => { delete t.iat; }, 'template.iat'],
  ['exp not after iat', (t) => { t.exp = t.iat; }, 'template.exp'],
  ['unknown top-level field', (t) => { t.extra = 1; }, 'template.extra'],
  ['bind not a map', (t) => { t.bind = ['894601']; }, 'template.bind'],
  ['bind unknown field', (t) => { t.bind.msisdn = ['46700000000']; }, 'template.bind.msisdn'],
  ['bind iccid with letters', (t) => { t.bind.iccid = ['8946AB']; }, 'template.bind.iccid[0]'],
  ['bind plmn too long', (t) => { t.bind.plmn = ['2400112']; }, 'template.bind.plmn[0]'],
  ['svc empty', (t) => { t.svc = []; }, 'template.svc'],
  ['svc more than 8', (t) => { t.svc = new Array(9).fill({ n: 'fn' }); }, 'template.svc'],
  ['svc entry not a map', (t) => { t.svc[1] = 'fn'; }, 'template.svc[1]'],
  ['service name missing', (t) => { delete t.svc[0].n; }, 'template.svc[0].n'],
  ['service unknown field', (t) => { t.svc[0].image = 'x'; }, 'template.svc[0].image'],
  ['fns not a list', (t) => { t.svc[0].fns = 'reg'; }, 'template.svc[0].fns'],
  ['fns entry bad', (t) => { t.svc[0].fns = ['reg', 'RET!']; }, 'template.svc[0].fns[1]'],
  ['share other value', (t) => { t.svc[0].share = 'global'; }, 'template.svc[0].share'],
  ['res cpu negative', (t) => { t.svc[0].res.cpu = -1; }, 'template.svc[0].res.cpu'],
  ['res mem fractional', (t) => { t.svc[0].res.mem = 1.5; }, 'template.svc[0].res.mem'],
  ['res unknown field', (t) => { t.svc[0].res.disk = 1; }, 'template.svc[0].res.disk'],
  ['cfg not a map', (t) => { t.svc[0].cfg = 'notify'; }, 'template.svc[0].cfg'],
  ['inline art too large', (t) => { t.svc[1].art = new Uint8Array(MAX_INLINE_ART + 1); }, 'template.svc[1].art'],
  ['inline art empty', (t) => { t.svc[1].art = new Uint8Array(0); }, 'template.svc[1].art'],
  ['art as text', (t) => { t.svc[1].art = 'console.log(1)'; }, 'template.svc[1].art'],
  ['art ref digest wrong length', (t) => { t.svc[2].art.sha256 = new Uint8Array(31); }, 'template.svc[2].art.sha256'],
  ['art ref digest as hex text', (t) => { t.svc[2].art.sha256 = '07'.repeat(32); }, 'template.svc[2].art.sha256'],
  ['art ref size zero', (t) => { t.svc[2].art.size = 0; }, 'template.svc[2].art.size'],
  ['art ref url missing', (t) => { delete t.svc[2].art.url; }, 'template.svc[2].art.url'],
  ['art ref unknown field', (t) => { t.svc[2].art.md5 = 'x'; }, 'template.svc[2].art.md5'],
];

describe('validateTemplate', () => {
  it('accepts the DESIGN.md example and returns a typed copy', () => {
    const t = validateTemplate(example());
    expect(t.tid).toBe('acme.thermo');
    expect(t.svc).toHaveLength(3);
    expect(t.svc[0]?.fns).toEqual(['reg', 'ret', 'sub', 'not']);
    expect(t.svc[1]?.art).toBeInstanceOf(Uint8Array);
    expect(t.bind?.plmn).toEqual(['24001']);
  });

  it('accepts the example after a CBOR round trip (as the core sees it)', () => {
    expect(validateTemplate(decodeCbor(encodeCbor(example())))).toEqual(validateTemplate(example()));
  });

  it('accepts a minimal template (one service, no optional fields)', () => {
    expect(refusal({ v: 1, tid: 't', seq: 0, cls: 'c', mfr: 'm', iat: 0, exp: 1, svc: [{ n: 'fn' }] })).toBe('accepted');
  });

  it('refuses things that are not a template map', () => {
    for (const v of [null, 1, 'x', [], new Uint8Array(1), new Map([[1, 1]])]) expect(refusal(v)).toMatch(/^TEMPLATE_INVALID template: /);
  });

  for (const [what, mutate, path] of BAD) {
    it(`refuses ${what} with TEMPLATE_INVALID at ${path}`, () => {
      const t = example();
      mutate(t);
      const r = refusal(t);
      expect(r.startsWith(`TEMPLATE_INVALID ${path}: `), r).toBe(true);
    });
  }
});
