// Prometheus metrics of a real core after real flows: requests by type and result code, the
// validation latency histogram, provisions by state, edges online, orders, dropped input, and
// the RADIUS accounting counters; the same text served at /metrics by the admin API.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMsg, topics } from '@simedge/device-sdk/wire';
import { startAdminServer, type AdminServer } from '../src/admin/index.js';
import { encodeAccountingRequest, tgppAttribute } from '../src/radius/index.js';
import { IMSI, downOf, startWorld, type World } from './harness.js';
import { uliOctets } from './radius-tools.js';

let w: World | undefined;
let admin: AdminServer | undefined;
afterEach(async () => {
  await admin?.close();
  await w?.close();
  admin = undefined;
  w = undefined;
});

/** The value of one series, e.g. `simedge_core_requests_total{type="prov",code="OK"}`. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('core metrics', () => {
  it('count a provisioning end to end, a rejection by its code and dropped input; gauges follow the store and edges', async () => {
    w = await startWorld();
    const acc = await w.provision('p1');
    expect(acc.t).toBe('acc');
    await w.obs.waitFor(downOf(IMSI, 'ready'), 'ready');
    const rej = await w.provision('p2', w.template({ seq: 3 }));
    expect(rej).toMatchObject({ t: 'rej', code: 'TEMPLATE_ROLLBACK' });
    // a device speaking for another IMSI is dropped unanswered
    w.device.publish(topics.deviceUp(IMSI), Buffer.from(encodeMsg({ t: 'bye', rid: 'x', imsi: '240019999999999', why: 'off' })), { qos: 1 });
    await w.waitTrace('dropped');
    await w.core.idle();

    const text = await w.core.metrics();
    expect(value(text, 'simedge_core_requests_total{type="hello",code="OK"}')).toBe(2);
    expect(value(text, 'simedge_core_requests_total{type="prov",code="OK"}')).toBe(1);
    expect(value(text, 'simedge_core_requests_total{type="prov",code="TEMPLATE_ROLLBACK"}')).toBe(1);
    expect(value(text, 'simedge_core_requests_total{type="rcvd",code="OK"}')).toBe(1);
    expect(value(text, 'simedge_core_requests_total{type="ready",code="OK"}')).toBe(1);
    expect(value(text, 'simedge_core_orders_total{kind="deploy"}')).toBe(1);
    expect(value(text, 'simedge_core_dropped_total{code="OTHER"}')).toBe(1);
    expect(value(text, 'simedge_core_validation_seconds_count')).toBe(2);
    expect(value(text, 'simedge_core_validation_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(value(text, 'simedge_core_provisions{state="COMPLETED"}')).toBe(1);
    expect(value(text, 'simedge_core_provisions{state="FAILED"}')).toBe(0);
    expect(value(text, 'simedge_core_edges{online="true"}')).toBe(2);
    expect(text).toContain('# TYPE simedge_core_validation_seconds histogram');

    // the edge goes away: the gauge follows its retained status
    await w.edgeA.status(false);
    await w.waitTrace('edge-status', 'edge-a offline');
    const after = await w.core.metrics();
    expect(value(after, 'simedge_core_edges{online="true"}')).toBe(1);
    expect(value(after, 'simedge_core_edges{online="false"}')).toBe(1);
  });

  it('two cores in one process keep separate registries; /metrics serves the text with the Prometheus content type', async () => {
    w = await startWorld();
    const other = await startWorld();
    try {
      expect((await w.provision('p1')).t).toBe('acc');
      expect(value(await other.core.metrics(), 'simedge_core_requests_total{type="prov",code="OK"}')).toBeUndefined();
    } finally {
      await other.close();
    }
    admin = await startAdminServer(w.core, { token: 'metrics-token-0123456789' });
    const res = await fetch(`${admin.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(await res.text(), 'simedge_core_requests_total{type="prov",code="OK"}')).toBe(1);
  });

  it('RADIUS accounting packets are counted by outcome [RFC2866]', async () => {
    const secret = 'radius-secret';
    w = await startWorld({ radius: { secret } });
    const port = w.core.radiusPort as number;
    const txt = (s: string): Uint8Array => new TextEncoder().encode(s);
    const start = encodeAccountingRequest(5, [
      { type: 40, value: Uint8Array.of(0, 0, 0, 1) }, { type: 44, value: txt('s-1') }, { type: 8, value: Uint8Array.of(10, 45, 0, 9) },
      tgppAttribute(1, txt('240011234000009')), tgppAttribute(18, txt('24001')),
      tgppAttribute(22, Uint8Array.from(Buffer.from(uliOctets('24001', 0x0a01, 0x01a2d101).slice(2), 'hex'))),
    ], secret);
    const udp = createSocket('udp4');
    try {
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      const answered = new Promise<void>((resolve) => udp.once('message', () => resolve()));
      // first a packet under the wrong secret (dropped, never answered), then a good Start
      udp.send(encodeAccountingRequest(4, [{ type: 40, value: Uint8Array.of(0, 0, 0, 1) }], 'wrong'), port, '127.0.0.1');
      udp.send(start, port, '127.0.0.1');
      await answered;
    } finally {
      udp.close();
    }
    const text = await w.core.metrics();
    expect(value(text, 'simedge_core_radius_packets{outcome="answered"}')).toBe(1);
    expect(value(text, 'simedge_core_radius_packets{outcome="dropped"}')).toBe(1);
    expect(value(text, 'simedge_core_radius_packets{outcome="received"}')).toBeGreaterThanOrEqual(1);
  });
});
