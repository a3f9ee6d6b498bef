// The `prov` validation pipeline [step 204]: the steps in their fixed order, the order of the
// issue text (issue 4 item 2; README "Validation order and reason codes"). A failing step throws a
// SimedgeError whose code goes to the device in `rej`; nothing is deployed and nothing is stored
// but the reply. The nonce is consumed whatever the outcome, even when an earlier step fails.
import type { Prov } from '@simedge/device-sdk/wire';
import type { EdgeTable } from '../edges.js';
import type { Policy } from '../policy.js';
import type { CoreStore } from '../store/types.js';
import { catalogStep, placementStep, quotaStep } from './policy-steps.js';
import { bindingStep, simProofStep, subscriberStatusStep } from './sim-steps.js';
import {
  attachStep, decodeStep, expiryStep, keyScopeStep, keyStep, nonceStep, rollbackStep, signatureStep, subscriberStep, templateStep,
  type Established, type Validated, type ValidationStep,
} from './steps.js';
import { attestStep } from './attest-step.js';

export const PIPELINE: readonly ValidationStep[] = [
  // message size, CBOR decode limits, COSE structure
  decodeStep,
  // manufacturer signature; key validity window, revocation, allowed classes
  keyStep,
  signatureStep,
  templateStep,
  keyScopeStep,
  // template rules: expiry, anti-rollback
  expiryStep,
  rollbackStep,
  // SIM binding (needs the registry's ICCID and the network's serving PLMN)
  subscriberStep,
  attachStep,
  bindingStep,
  // SIM identity: registry status, IoT SAFE proof, network attestation
  subscriberStatusStep,
  simProofStep,
  attestStep,
  // single-use nonce with TTL
  nonceStep,
  // policy: catalog, per-subscription quotas; then edge placement and capacity
  catalogStep,
  quotaStep,
  placementStep,
];

export async function validateProv(
  msg: Prov, env: { store: CoreStore; edges: EdgeTable; now: number; policy: Policy }, steps: readonly ValidationStep[] = PIPELINE,
): Promise<Validated> {
  const acc: Established = {};
  const stepEnv = { msg, ...env };
  try {
    for (const s of steps) {
      // Await only what is a promise: the CPU-bound steps (decode, signature) stay synchronous.
      const r = s.run(stepEnv, acc);
      if (r) await r;
    }
  } finally {
    // Single-use whatever happened: a rejected prov cannot be replayed with the same nonce.
    if (!acc.nonceTaken) await env.store.takeNonce(msg.imsi, msg.nonce, env.now);
  }
  const { cose, key, template, subscriber, attach, edge, placement } = acc;
  if (!cose || !key || !template || !subscriber || !attach || !edge || !placement) throw new Error('validation pipeline ended incomplete');
  return { cose, key, template, subscriber, attach, edge, placement };
}

export type { Validated, ValidationStep };
