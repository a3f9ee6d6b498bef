// Network attestation [step 204, DESIGN.md Trust]: the `prov` must come from the network session
// of its IMSI - the broker peer address that published it equals the framed IP of the IMSI's
// current attach (RADIUS) record. Runs after the attach step; does nothing when the core's
// attestation policy is 'off' (no attestation context around the dispatch).
import { SimedgeError } from '@simedge/device-sdk/wire';
import { currentAttestation } from '../attest/context.js';
import { normaliseAddress } from '../attest/peers.js';
import type { ValidationStep } from './steps.js';

export const attestStep: ValidationStep = {
  name: 'attest',
  run(_env, acc) {
    const facts = currentAttestation();
    if (!facts) return; // policy 'off'
    if (!acc.attach) throw new Error('validation pipeline: "attach" is not set by an earlier step');
    if (facts.peer === undefined) throw new SimedgeError('NOT_ATTESTED', 'the broker recorded no peer address for this message');
    const peer = normaliseAddress(facts.peer);
    if (peer !== acc.attach.ip) throw new SimedgeError('NOT_ATTESTED', `published from ${peer}, session address ${acc.attach.ip}`);
  },
};
