// Public API of the edge agent: the agent itself, plus the runtime contract and the pure order
// checks for whoever builds on them (OCI/Kubernetes runtimes, the daemon entry, tests).
export { EdgeAgent, type EdgeOptions, type ArtefactOptions } from './agent.js';
export type { CpuLimits } from './runtime/cgroup.js';
export type { OciConfig, KubernetesConfig } from './runtime/configure.js';
export { LABEL, type Runtime, type RunSpec, type Instance, type InstanceRef, type ExitInfo } from './runtime/types.js';
export { plan } from './reconcile/plan.js';
export type { Desired, DesiredInstance, DesiredService, Observed, Provision, Step } from './reconcile/types.js';
export { edgeStatusCommand, type CliIo } from './cli.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtime/process.js';
export { checkOrder, coreKeyMap, MAX_ORDER_BYTES, type Verdict, type CoreKeys } from './verify.js';
export { runEdge, serveEdge, edgeOptions, jsonLog, silentLog, type RunningEdge, type RunOptions, type ServeIo, type DaemonLog } from './daemon.js';
export { checkConfig, loadEdgeConfig, type EdgeConfig } from './daemon-config.js';
