// Pure parts of the pipeline: the semver range matcher behind the catalog policy [semver.org
// 2.0.0, node-semver range grammar], the policy object's checks, and the IoT SAFE proof check
// [GSMA IoT.05 via DESIGN "Trust"] on its own (DER and raw r‖s; SPKI and uncompressed keys).
import { describe, expect, it } from 'vitest';
import { makePolicy, satisfies, simPublicKey, verifySimProof } from '../src/index.js';
import { checkPlan, type PolicyOptions } from '../src/policy.js';
import type { Plan } from '../src/store/types.js';
import { IMSI } from './harness.js';
import { newSim, simSign } from './pipeline-tools.js';

describe('satisfies() [semver ranges]', () => {
  const yes: [string, string][] = [
    ['1.4.2', '^1'], ['1.0.0', '^1.0'], ['1.9.9', '^1.2.3'], ['0.2.5', '^0.2.3'], ['0.0.3', '^0.0.3'],
    ['1.2.9', '~1.2.3'], ['1.2.0', '~1.2'], ['1.9.0', '~1'], ['1.2.3', '1.2.3'], ['1.2.3', '=1.2.3'], ['1.7.0', '1.x'],
    ['1.2.7', '1.2.*'], ['5.0.0', '*'], ['5.0.0', ''], ['2.0.0', '>=1.2 <3'], ['2.0.0', '>= 1.2 < 3'], ['1.3.0', '>1.2'],
    ['1.2.9', '<=1.2'], ['3.1.0', '^1 || ^3'], ['1.5.0', '1.2 - 1.6'], ['1.6.9', '1.2 - 1.6'], ['v1.0.0', '^1'],
  ];
  const no: [string, string][] = [
    ['2.0.0', '^1'], ['1.2.2', '^1.2.3'], ['0.3.0', '^0.2.3'], ['0.0.4', '^0.0.3'], ['1.3.0', '~1.2.3'], ['2.0.0', '~1'],
    ['1.2.4', '1.2.3'], ['1.2.9', '>1.2'], ['1.3.0', '<=1.2'], ['2.0.0', '^1 || ^3'], ['1.7.0', '1.2 - 1.6'], ['3.0.0', '>=1.2 <3'],
    // not versions or not ranges: never satisfied
    ['1.2', '^1'], ['1.2.3-beta', '^1'], ['x', '*'], ['1.0.0', '^a'], ['1.0.0', '>>1'], ['1.0.0', 'x'.repeat(300)],
  ];
  it.each(yes)('%s satisfies "%s"', (v, r) => expect(satisfies(v, r)).toBe(true));
  it.each(no)('%s does not satisfy "%s"', (v, r) => expect(satisfies(v, r)).toBe(false));
});

describe('makePolicy()', () => {
  it('defaults: no proof required, any service, no quota, no lease, 30 s roaming grace', () => {
    expect(makePolicy()).toEqual({ requireSimProof: false, defaultPlan: {}, roamGraceSec: 30 });
  });
  it('refuses catalog versions that are not MAJOR.MINOR.PATCH and non-positive windows', () => {
    expect(() => makePolicy({ catalog: { cse: ['1.2'] } })).toThrow(TypeError);
    expect(() => makePolicy({ leaseSec: 0 })).toThrow(RangeError);
    expect(() => makePolicy({ roamGraceSec: -1 })).toThrow(RangeError);
    expect(() => makePolicy({ defaultPlan: { maxProvisions: 1.5 } })).toThrow(RangeError);
  });
  it('refuses unknown fields and a requireSimProof that is not a boolean: a typo must not switch a check off', () => {
    // Not type-correct on purpose: these come from operators' config files.
    expect(() => makePolicy({ requireSimProf: true } as PolicyOptions)).toThrow(/unknown field "requireSimProf"/);
    expect(() => makePolicy({ requireSimProof: 'yes' } as unknown as PolicyOptions)).toThrow(/requireSimProof must be true or false/);
    expect(() => makePolicy({ defaultPlan: { maxProvision: 1 } } as PolicyOptions)).toThrow(/unknown field "maxProvision"/);
    expect(() => makePolicy({ catalog: ['cse'] } as unknown as PolicyOptions)).toThrow(TypeError);
    expect(() => checkPlan({ maxServices: 2, extra: 1 } as Plan)).toThrow(/plan: unknown field "extra"/);
    expect(makePolicy({ requireSimProof: true, defaultPlan: { maxServices: 2 } })).toMatchObject({ requireSimProof: true, defaultPlan: { maxServices: 2 } });
  });
});

describe('IoT SAFE proof check', () => {
  const nonce = new Uint8Array(16).fill(3);
  const tpl = new Uint8Array([0xd2, 0x84, 1, 2, 3]);

  it('verifies DER and raw r‖s signatures with SPKI and uncompressed-point keys', () => {
    const sim = newSim();
    for (const k of [sim.spki, sim.point]) {
      const key = simPublicKey(k);
      expect(verifySimProof(key, nonce, tpl, IMSI, simSign(sim, nonce, tpl, IMSI, 'der'))).toBe(true);
      expect(verifySimProof(key, nonce, tpl, IMSI, simSign(sim, nonce, tpl, IMSI, 'ieee-p1363'))).toBe(true);
    }
  });

  it('fails for another IMSI, a flipped bit, or garbage, without throwing', () => {
    const sim = newSim();
    const key = simPublicKey(sim.point);
    const sig = simSign(sim, nonce, tpl);
    expect(verifySimProof(key, nonce, tpl, '240019999999999', sig)).toBe(false);
    const flipped = sig.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(verifySimProof(key, nonce, tpl, IMSI, flipped)).toBe(false);
    expect(verifySimProof(key, nonce, tpl, IMSI, new Uint8Array(1))).toBe(false);
    expect(verifySimProof(key, nonce, tpl, IMSI, new Uint8Array(64))).toBe(false);
  });

  it('refuses keys that are not P-256 public keys', () => {
    expect(() => simPublicKey(new Uint8Array(0))).toThrow(TypeError);
    expect(() => simPublicKey(new Uint8Array(32).fill(1))).toThrow(TypeError);
    const point = newSim().point.slice();
    point[64] = (point[64] ?? 0) ^ 1; // off the curve
    expect(() => simPublicKey(point)).toThrow(TypeError);
  });
});
