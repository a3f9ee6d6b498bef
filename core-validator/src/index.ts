// Public API of the core validator: the embedded broker, CoreValidator and its store.
export { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
export { CoreValidator, type CoreOptions } from './core.js';
export { SqliteStore } from './store/sqlite.js';
export {
  ACTIVE_STATES,
  type AttachRecord, type CoreStore, type EndReason, type OrderRecord, type ProvisionPatch, type ProvisionRecord,
  type ProvisionState, type Subscriber, type TrustKey,
} from './store/types.js';
export { EdgeTable, type EdgeInfo } from './edges.js';
export { jsonLogger, silentLogger, type Level, type Logger } from './log.js';
export { PIPELINE, validateProv, type Validated, type ValidationStep } from './validate/pipeline.js';
