// Prometheus metrics of one agent (its own registry, so several agents in one process - tests,
// the demo - do not collide): instances running, deploy latency (order accepted -> ready sent),
// orders by type and result. Served as text by EdgeAgent.metrics() and, optionally, over HTTP on
// 127.0.0.1 (GET /metrics).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type OrderResult = 'ready' | 'fail' | 'removed' | 'invalid' | 'dropped' | 'replay';

export class EdgeMetrics {
  readonly registry = new Registry();
  private readonly instances: Gauge<'runtime'>;
  private readonly deploy: Histogram;
  private readonly orders: Counter<'type' | 'result'>;

  constructor(edge: string) {
    this.registry.setDefaultLabels({ edge });
    this.instances = new Gauge({ name: 'simedge_edge_instances', help: 'Service instances running on this edge', labelNames: ['runtime'], registers: [this.registry] });
    this.deploy = new Histogram({
      name: 'simedge_edge_deploy_seconds', help: 'Deploy order accepted to ready sent',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
    });
    this.orders = new Counter({ name: 'simedge_edge_orders_total', help: 'Orders by type and result', labelNames: ['type', 'result'], registers: [this.registry] });
  }

  setInstances(byRuntime: Record<string, number>): void {
    this.instances.reset();
    for (const [runtime, n] of Object.entries(byRuntime)) this.instances.set({ runtime }, n);
  }

  deployed(seconds: number): void {
    this.deploy.observe(Math.max(0, seconds));
  }

  order(type: string, result: OrderResult): void {
    this.orders.inc({ type, result });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serve GET /metrics on 127.0.0.1:port (0 = any free port); resolves with the bound port. */
  async listen(port: number): Promise<{ port: number; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.text().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    };
  }
}
