// Topic ACLs: one rules table, enforced by an aedes hook and rendered for Mosquitto.
export { covers } from './match.js';
export { grantsFor, mayPublish, maySubscribe, type Grants } from './rules.js';
export { trackIdentities, type ClientIdentities, type PlaintextIdentity } from './client-identity.js';
export { installTopicAcl, type Denial, type TopicAclOptions } from './aedes-hook.js';
export { DEVICE_PATTERNS, mosquittoAcl, mosquittoConf, type MosquittoConfOptions } from './mosquitto.js';
export { writeMosquittoDir, type MosquittoDir, type MosquittoDirOptions } from './mosquitto-dir.js';
