// SIM steps of the `prov` pipeline [step 204; DESIGN "Trust"]: the template's SIM binding, the
// subscription's status, and the IoT SAFE proof. Network attestation (the request comes from the
// IMSI's current session) is attest-step.ts.
import { SimedgeError } from '@simedge/device-sdk/wire';
import { verifySimProof } from '../simproof.js';
import { simKeyObject } from './key-cache.js';
import { need, type ValidationStep } from './types.js';

const startsWithAny = (s: string, prefixes: readonly string[]) => prefixes.some((p) => s.startsWith(p));

/** Template `bind`: the SIM's ICCID (from the registry) and IMSI start with one of the listed
 *  prefixes, and the serving PLMN the network reported is listed. Absent lists bind nothing. */
export const bindingStep: ValidationStep = {
  name: 'binding',
  run(env, acc) {
    const b = need(acc, 'template').bind;
    if (!b) return;
    const sub = need(acc, 'subscriber');
    if (b.iccid && !startsWithAny(sub.iccid, b.iccid)) throw new SimedgeError('SIM_BINDING', `ICCID ${sub.iccid} not in ${b.iccid.join('|')}`);
    if (b.imsi && !startsWithAny(env.msg.imsi, b.imsi)) throw new SimedgeError('SIM_BINDING', `IMSI not in ${b.imsi.join('|')}`);
    const plmn = need(acc, 'attach').plmn;
    if (b.plmn && !b.plmn.includes(plmn)) throw new SimedgeError('SIM_BINDING', `serving PLMN ${plmn} not in ${b.plmn.join('|')}`);
  },
};

/** Registry status: a suspended subscription provisions nothing. */
export const subscriberStatusStep: ValidationStep = {
  name: 'subscriber-status',
  run(_env, acc) {
    if (need(acc, 'subscriber').status === 'suspended') throw new SimedgeError('SUBSCRIBER_SUSPENDED');
  },
};

/** IoT SAFE [GSMA IoT.05]: the SIM's P-256 signature over nonce ‖ SHA-256(tpl) ‖ IMSI, checked with
 *  the key registered for the SIM. A wrong proof is refused whenever a key is registered; a
 *  missing proof (or a SIM without a key) only when the policy requires the proof. */
export const simProofStep: ValidationStep = {
  name: 'sim-proof',
  run(env, acc) {
    const sub = need(acc, 'subscriber');
    const proof = env.msg.proof;
    if (!sub.simKey) {
      if (env.policy.requireSimProof) throw new SimedgeError('BAD_SIM_PROOF', `no IoT SAFE key registered for ICCID ${sub.iccid}`);
      return;
    }
    if (!proof) {
      if (env.policy.requireSimProof) throw new SimedgeError('BAD_SIM_PROOF', 'proof missing');
      return;
    }
    if (!verifySimProof(simKeyObject(sub.simKey), env.msg.nonce, env.msg.tpl, env.msg.imsi, proof)) {
      throw new SimedgeError('BAD_SIM_PROOF', 'proof does not verify');
    }
  },
};
