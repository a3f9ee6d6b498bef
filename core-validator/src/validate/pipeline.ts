// The `prov` validation pipeline [step 204]: the steps of steps.ts in their fixed order. A
// failing step throws a SimedgeError whose code goes to the device in `rej`; nothing is deployed.
// Later checks (anti-rollback seq, SIM binding, IoT SAFE proof, policy, capacity) slot in here.
import type { Prov } from '@simedge/device-sdk/wire';
import type { EdgeTable } from '../edges.js';
import type { CoreStore } from '../store/types.js';
import {
  attachStep, decodeStep, expiryStep, keyScopeStep, keyStep, nonceStep, placementStep, signatureStep, subscriberStep, templateStep,
  type Established, type Validated, type ValidationStep,
} from './steps.js';

export const PIPELINE: readonly ValidationStep[] = [
  decodeStep, nonceStep, keyStep, signatureStep, templateStep, keyScopeStep, expiryStep, subscriberStep, attachStep, placementStep,
];

export function validateProv(msg: Prov, env: { store: CoreStore; edges: EdgeTable; now: number }, steps: readonly ValidationStep[] = PIPELINE): Validated {
  const acc: Established = {};
  for (const s of steps) s.run({ msg, ...env }, acc);
  const { cose, key, template, subscriber, attach, edge } = acc;
  if (!cose || !key || !template || !subscriber || !attach || !edge) throw new Error('validation pipeline ended incomplete');
  return { cose, key, template, subscriber, attach, edge };
}

export type { Validated, ValidationStep };
