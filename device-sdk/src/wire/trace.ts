// Trace events: what each part reports about the flow, labelled with the patent FIG. 2 step.
// The demo prints them as a timeline; daemons log them. Passing a sink is optional everywhere.
export type Step = 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 209 | 210;

export interface TraceEvent {
  /** Milliseconds since the epoch (fractional allowed). */
  at: number;
  step?: Step;
  /** Who reports: "device:<imsi>", "core", "edge:<id>", "network". */
  actor: string;
  imsi?: string;
  /** Short event name, e.g. "hello", "validated", "deploy-order", "ready". */
  ev: string;
  detail?: string;
}

export type TraceSink = (e: TraceEvent) => void;

export const noTrace: TraceSink = () => {};
