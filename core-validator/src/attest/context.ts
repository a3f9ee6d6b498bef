// Carries the attestation facts of the inbound message being dispatched right now to the
// pipeline step (validate/attest-step.ts) without threading them through every handler:
// dispatch is synchronous, so an AsyncLocalStorage run around it scopes them to that message.
// No context at all means the policy is 'off'.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PeerLog } from './peers.js';

export type AttestationPolicy = 'off' | 'network';

export interface InboundAttestation {
  /** The address the broker saw publishing this message, or undefined if it recorded none. */
  peer: string | undefined;
}

const als = new AsyncLocalStorage<InboundAttestation>();

/** The attestation facts of the message being handled, or undefined when attestation is off. */
export function currentAttestation(): InboundAttestation | undefined {
  return als.getStore();
}

/** Run `fn` (the dispatch of one inbound message) with the peer the broker recorded for it. */
export function withPeerOf<T>(peers: PeerLog, topic: string, payload: Uint8Array, fn: () => T): T {
  return als.run({ peer: peers.take(topic, payload) }, fn);
}
