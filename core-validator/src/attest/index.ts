// Network attestation: broker peer addresses matched against the IMSI's RADIUS session.
export { PeerLog, normaliseAddress, type PeerLogOptions } from './peers.js';
export { recordPeers } from './broker-hook.js';
export { currentAttestation, withPeerOf, type AttestationPolicy, type InboundAttestation } from './context.js';
