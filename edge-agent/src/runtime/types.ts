// The runtime contract: how the agent starts, stops, finds and re-attaches service instances,
// whatever runs them (child processes, OCI containers, Kubernetes pods implement the same
// interface, and the same contract tests run against each).
//
// Adoption: everything a runtime starts carries the RunSpec's labels. After an agent restart the
// reconciler asks each runtime to `list()` what it finds for this edge, then `adopt()`s what is
// still desired and healthy and `remove()`s the rest, so a crash leaves nothing orphaned.

/** Label keys every runtime attaches to what it starts (values come from RunSpec.labels). */
export const LABEL = {
  /** Edge id that started it: list() selects on this one. */
  edge: 'simedge.edge',
  /** Instance key: `<pid>/<service>` (private) or `class:<cls>/<service>` (shared). */
  key: 'simedge.key',
  /** Service name, e.g. `fn`. */
  service: 'simedge.service',
  /** Digest of what was started (code + res): an adopted instance is kept only if it matches. */
  spec: 'simedge.spec',
} as const;

/** What the catalog resolved a template service into: everything a runtime needs to start it. */
export interface RunSpec {
  /**
   * Owner of the instance: the provisioning id for a private instance, `class:<cls>` for a shared
   * one. Not guaranteed to be a valid container/pod name: runtimes sanitise before using it so.
   */
  pid: string;
  /** Service name from the template, e.g. "fn". */
  service: string;
  /** Edge id of the agent starting it (also in labels[LABEL.edge]). */
  edge: string;
  /**
   * Labels to attach verbatim, at least LABEL.edge, LABEL.key, LABEL.service (the agent also sets
   * LABEL.spec). list() must return them unchanged. A backend that cannot store a value as a label
   * verbatim (Kubernetes label values: ≤ 63 chars of [A-Za-z0-9_.-], so no `/` or `:`) keeps it in
   * an annotation (or similar) and selects by LABEL.edge.
   */
  labels: Record<string, string>;
  /** Code to run: inline UTF-8 source for `fn`. */
  code: string;
  /** Reserved resources (mem bounds the V8 heap; cpu is a CFS quota where cgroups allow). */
  res: { cpu: number; mem: number };
  /**
   * Port the instance should serve on, when it served there before (the agent keeps it per
   * instance key so a restarted instance keeps its endpoint). A runtime that cannot bind it (taken,
   * or the backend picks ports itself) uses another one; the Instance's endpoint says which.
   */
  port?: number;
  /** SHA-256 (hex) of the artefact the code was fetched as, if any: the cache keeps it while this runs. */
  art?: string;
}

/** A running instance with the endpoint the device uses. */
export interface Instance {
  /** Unique within the runtime; the same value list() reports as InstanceRef.id. */
  id: string;
  pid: string;
  service: string;
  endpoint: string;
  res: { cpu: number; mem: number };
  /** OS process id, when the runtime has one. */
  osPid?: number;
}

/**
 * Something a runtime found for this edge (by label), e.g. after an agent restart: enough to
 * adopt it (re-attach) or remove it (an orphan nobody wants any more).
 */
export interface InstanceRef {
  /** Runtime-specific id (container id, pod name, `proc:<os pid>`). */
  id: string;
  /** The labels it was started with (RunSpec.labels). */
  labels: Record<string, string>;
  /** Where it serves, when the runtime can tell. */
  endpoint?: string;
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
  /**
   * Everything this runtime started for this edge that still exists (found by LABEL.edge), including
   * what a previous agent process started: it must survive an agent restart wherever the runtime's
   * instances do.
   */
  list(): Promise<InstanceRef[]>;
  /**
   * Re-attach to a listed instance: health-check it and hand it out as a running Instance (onExit
   * then applies to it as to a started one). Undefined when it is not healthy (the caller removes it).
   */
  adopt(ref: InstanceRef): Promise<Instance | undefined>;
  /** Remove a listed instance (an orphan) and resolve once it is gone; a no-op if already gone. */
  remove(ref: InstanceRef): Promise<void>;
  /** Stop everything this runtime started, including instances still starting. */
  close(): Promise<void>;
  /** Called when a ready instance ends without stop() (crash, OOM, killed from outside). */
  onExit?: (inst: Instance, info: ExitInfo) => void;
}
