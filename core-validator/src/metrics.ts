// Prometheus metrics of one core (prom-client, one Registry per CoreValidator so two cores in one
// process, as in tests, never share counters). Counting observes the core's trace events (FIG. 2
// steps, already emitted at every decision) instead of adding calls to the handlers; gauges are
// read from the store, the edge table and the RADIUS server's stats when scraped.
import { isCode, type Step } from '@simedge/device-sdk/wire';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EdgeTable } from './edges.js';
import type { RadiusStats } from './radius/server.js';
import type { CoreStore, ProvisionState } from './store/types.js';

const STATES: readonly ProvisionState[] = ['STARTING', 'PROCESSING', 'COMPLETED', 'FAILED', 'FAILED_TEMP', 'REMOVING', 'REMOVED'];
/** Provs waiting for their verdict, per IMSI; bounded so a flood of never-answered provs cannot grow it. */
const MAX_PENDING = 10_000;

export interface MetricsSources {
  store: CoreStore;
  edges: EdgeTable;
  /** The RADIUS accounting server's counters while it runs. */
  radius(): RadiusStats | undefined;
}

/** Trace event → request type and result code (`OK` or a stable code). */
const REQUESTS: Record<string, { type: string; ok: boolean } | undefined> = {
  chal: { type: 'hello', ok: true },
  validated: { type: 'prov', ok: true },
  rejected: { type: 'prov', ok: false },
  bye: { type: 'bye', ok: true },
  rcvd: { type: 'rcvd', ok: true },
  ready: { type: 'ready', ok: true },
  failed: { type: 'fail', ok: false },
  removed: { type: 'removed', ok: true },
};
const ORDERS: Record<string, string | undefined> = { 'deploy-order': 'deploy', 'deploy-retry': 'deploy-retry', 'remove-order': 'remove' };

export class CoreMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'type' | 'code'>;
  private readonly orders: Counter<'kind'>;
  private readonly dropped: Counter<'code'>;
  private readonly latency: Histogram;
  private readonly provStart = new Map<string, number>();

  constructor(src: MetricsSources) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'simedge_core_requests_total', help: 'Device requests and edge events handled, by type and result code (OK or a stable code)',
      labelNames: ['type', 'code'], registers,
    });
    this.orders = new Counter({ name: 'simedge_core_orders_total', help: 'Signed orders published to edges, by kind', labelNames: ['kind'], registers });
    this.dropped = new Counter({
      name: 'simedge_core_dropped_total', help: 'Inbound messages dropped unanswered (hostile or malformed), by code', labelNames: ['code'], registers,
    });
    this.latency = new Histogram({
      name: 'simedge_core_validation_seconds', help: 'Time from a prov arriving to its verdict (validation pipeline, step 204)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers,
    });
    new Gauge({
      name: 'simedge_core_provisions', help: 'Provisions (operation records) by state', labelNames: ['state'], registers,
      async collect() {
        // Scrape-time count from the store; a large store wants a COUNT ... GROUP BY method (see README).
        const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const p of await src.store.provisions()) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'simedge_core_edges', help: 'Edges known from retained status, by online state', labelNames: ['online'], registers,
      collect() {
        const list = src.edges.list();
        const on = list.filter((e) => e.online).length;
        this.set({ online: 'true' }, on);
        this.set({ online: 'false' }, list.length - on);
      },
    });
    new Gauge({
      name: 'simedge_core_radius_packets', help: 'RADIUS accounting packets since start, by outcome (received, answered, duplicate, stale, dropped)',
      labelNames: ['outcome'], registers,
      collect() {
        // Counters kept by the RADIUS server itself; exposed as a gauge because it restarts with it.
        const s = src.radius();
        if (!s) return;
        this.set({ outcome: 'received' }, s.received);
        this.set({ outcome: 'answered' }, s.answered);
        this.set({ outcome: 'duplicate' }, s.duplicates);
        this.set({ outcome: 'stale' }, s.stale);
        this.set({ outcome: 'dropped' }, Object.values(s.dropped).reduce((a, b) => a + b, 0));
      },
    });
  }

  /** Feed one trace event (the core calls this for every event, sink or not). Never throws. */
  onTrace(_step: Step | undefined, ev: string, imsi?: string, detail?: string): void {
    try {
      if (ev === 'prov' && imsi !== undefined) {
        // A redelivered prov answered from the stored reply has no verdict: the next one replaces it.
        this.provStart.delete(imsi);
        if (this.provStart.size >= MAX_PENDING) this.provStart.delete(this.provStart.keys().next().value as string);
        this.provStart.set(imsi, performance.now());
        return;
      }
      const req = REQUESTS[ev];
      if (req) {
        const code = req.ok ? 'OK' : isCode(detail) ? detail : 'OTHER';
        this.requests.inc({ type: req.type, code });
        if (req.type === 'prov' && imsi !== undefined) {
          const t0 = this.provStart.get(imsi);
          this.provStart.delete(imsi);
          if (t0 !== undefined) this.latency.observe((performance.now() - t0) / 1000);
        }
        return;
      }
      const kind = ORDERS[ev];
      if (kind) return void this.orders.inc({ kind });
      // Free-text reasons would explode the label set: only stable codes become labels.
      if (ev === 'dropped') this.dropped.inc({ code: isCode(detail) ? detail : 'OTHER' });
    } catch {
      // Metrics must never break the flow.
    }
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
