// The runtime contract: how the agent starts and stops one service instance, whatever runs it
// (child processes now; OCI containers and Kubernetes pods later implement the same interface,
// and the same contract tests run against each).

/** What the catalog resolved a template service into: everything a runtime needs to start it. */
export interface RunSpec {
  /** Provisioning id the instance belongs to (labels it, for removal and later adoption). */
  pid: string;
  /** Service name from the template, e.g. "fn". */
  service: string;
  /** Code to run: inline UTF-8 source for `fn`. */
  code: string;
  /** Reserved resources (accounting; mem also bounds the V8 heap in the process runtime). */
  res: { cpu: number; mem: number };
}

/** A running instance with the endpoint the device uses. */
export interface Instance {
  /** Unique within the agent: `<pid>/<service>/<n>`. */
  id: string;
  pid: string;
  service: string;
  endpoint: string;
  res: { cpu: number; mem: number };
  /** OS process id, when the runtime has one. */
  osPid?: number;
}

/** Why an instance ended without being asked to. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Last lines the instance wrote to stderr. */
  stderr: string;
}

export interface Runtime {
  readonly name: string;
  /**
   * Start an instance and resolve once it is truly ready (its health check answered).
   * Rejects with SimedgeError DEPLOY_FAILED carrying the cause (e.g. the stderr tail).
   */
  start(spec: RunSpec): Promise<Instance>;
  /** Stop an instance and resolve once it is gone. Stopping a stopped instance is a no-op. */
  stop(inst: Instance): Promise<void>;
  /** Stop everything this runtime started, including instances still starting. */
  close(): Promise<void>;
  /** Called when a ready instance ends without stop() (crash, OOM, killed from outside). */
  onExit?: (inst: Instance, info: ExitInfo) => void;
}
