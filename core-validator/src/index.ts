// Public API of the core validator: the embedded broker, CoreValidator and its store.
export { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
export { CoreValidator, type CoreOptions } from './core.js';
export { SqliteStore } from './store/sqlite.js';
export { KyselyStore } from './store/kysely.js';
export { openStore, postgresTarget, sqliteTarget, storeTarget, type StoreTarget } from './store/open.js';
export type { DialectKind } from './store/migrations.js';
export {
  ACTIVE_STATES,
  type AttachRecord, type ChargingRecord, type CoreStore, type EndReason, type OrderRecord, type PlacementRecord, type Plan,
  type ProvisionPatch, type ProvisionRecord, type ProvisionState, type Subscriber, type SubscriberStatus, type TrustKey,
} from './store/types.js';
export { EdgeTable, type EdgeInfo } from './edges.js';
export { createLogger, isLevel, jsonLogger, levelFromEnv, LEVELS, silentLogger, type Fields, type Level, type Logger, type LoggerOptions } from './log.js';
export { CoreMetrics, type MetricsSources } from './metrics.js';
export { runCore, serveCore, type RunningCore, type RunOptions, type ServeIo } from './daemon.js';
export { checkConfig, loadCoreConfig, DEFAULT_ADMIN_PORT, type CoreConfig } from './daemon-config.js';
export { startRadiusAccounting, type RadiusAccounting, type RadiusAccountingOptions, type RadiusStats } from './radius/server.js';
export { PeerLog, recordPeers, type AttestationPolicy } from './attest/index.js';
export { makePolicy, type Policy, type PolicyOptions } from './policy.js';
export { fits, needOf, place, preferredEdge, type Need, type PlacementInput, type PlacementResult } from './placement.js';
export { backoffDelay, retrySettings, type RetrySettings } from './backoff.js';
export { chargingCsv, csvField, toCsv, CHARGING_COLUMNS } from './charging.js';
export { satisfies } from './semver.js';
export { simProofMessage, simPublicKey, verifySimProof } from './simproof.js';
export { PIPELINE, validateProv, type Validated, type ValidationStep } from './validate/pipeline.js';
