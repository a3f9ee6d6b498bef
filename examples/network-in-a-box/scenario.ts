// The demo scenario: every device powers on, attaches, provisions and uses its `fn` service;
// one device roams into a visited network served by the other edge (torn down at the old edge,
// set up at the new one); then every device switches off. Returns a report; never throws for a
// failed step (the failure is in the report), so the demo can always print what happened.
import type { DevReady, Term, TraceEvent } from '@simedge/device-sdk/wire';
import type { World } from './world.js';

export const VISITED_CELL = '02C4F301';

export interface DeviceReport {
  imsi: string;
  ok: boolean;
  error?: string;
  /** Edges that served the device, in order. */
  edges: string[];
  /** FIG. 2 steps seen in the trace for this device. */
  steps: number[];
  timings: { attachMs?: number; provisionMs?: number; useMs?: number; roamMs?: number; offMs?: number };
  results: unknown[];
}

export interface Report {
  ok: boolean;
  reasons: string[];
  devices: DeviceReport[];
  roamer?: string;
  leftovers: { instances: number; provisions: number; sessions: number };
  durationMs: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

const READINGS = [21.5, 22.5, 31];

export async function runScenario(world: World, events: TraceEvent[], opts: { stepTimeoutMs?: number } = {}): Promise<Report> {
  const t0 = performance.now();
  const timeout = opts.stepTimeoutMs ?? 20_000;
  const reasons: string[] = [];
  const reports = new Map<string, DeviceReport>();
  for (const { spec } of world.devices) reports.set(spec.imsi, { imsi: spec.imsi, ok: true, edges: [], steps: [], timings: {}, results: [] });
  const fail = (imsi: string, why: string) => {
    const r = reports.get(imsi) as DeviceReport;
    if (r.ok) { r.ok = false; r.error = why; reasons.push(`${imsi}: ${why}`); }
  };

  // 201-207: power on, attach, provision, use.
  await Promise.all(world.devices.map(async ({ spec, device }) => {
    const r = reports.get(spec.imsi) as DeviceReport;
    try {
      const ready = await withTimeout(device.powerOn('on'), timeout, 'power on');
      r.edges.push(ready.edge);
      const u0 = performance.now();
      for (const celsius of READINGS) r.results.push(await withTimeout(device.use('fn', { celsius }), timeout, 'use'));
      r.timings.useMs = (performance.now() - u0) / READINGS.length;
      const last = r.results[r.results.length - 1] as { n?: number; avg?: number; alert?: boolean } | undefined;
      const avg = Math.round((READINGS.reduce((a, b) => a + b, 0) / READINGS.length) * 100) / 100;
      if (!last || last.n !== READINGS.length || last.avg !== avg || last.alert !== true) fail(spec.imsi, `unexpected service result ${JSON.stringify(last)}`);
    } catch (e) {
      fail(spec.imsi, (e as Error).message);
    }
  }));

  // Roaming: the first device that is up moves into the visited network served by the other edge.
  const roamer = world.devices.find((d) => reports.get(d.spec.imsi)?.ok);
  if (roamer) {
    const r = reports.get(roamer.spec.imsi) as DeviceReport;
    const old = roamer.device.ready as DevReady;
    try {
      const r0 = performance.now();
      const newReady = new Promise<DevReady>((resolve) => {
        const on = (rd: DevReady) => { if (rd.pid !== old.pid) { roamer.device.off('ready', on); resolve(rd); } };
        roamer.device.on('ready', on);
      });
      const oldTerm = new Promise<Term>((resolve) => {
        const on = (t: Term) => { if (t.pid === old.pid) { roamer.device.off('term', on); resolve(t); } };
        roamer.device.on('term', on);
      });
      roamer.modem.moveTo(VISITED_CELL);
      const [rd] = await withTimeout(Promise.all([newReady, oldTerm]), timeout, 'roaming');
      r.timings.roamMs = performance.now() - r0;
      r.edges.push(rd.edge);
      if (rd.edge === old.edge) fail(roamer.spec.imsi, `roamed but stayed on ${rd.edge}`);
      const res = await withTimeout(roamer.device.use('fn', { celsius: 20 }), timeout, 'use after roaming');
      r.results.push(res);
      if ((res as { n?: number }).n !== 1) fail(roamer.spec.imsi, `service after roaming answered ${JSON.stringify(res)}`);
    } catch (e) {
      fail(roamer.spec.imsi, (e as Error).message);
    }
  } else reasons.push('no device came up, so nothing could roam');

  // 208-210: switch off.
  await Promise.all(world.devices.map(async ({ spec, device }) => {
    if (!device.ready) return;
    const r = reports.get(spec.imsi) as DeviceReport;
    try {
      const o0 = performance.now();
      const terms = await withTimeout(device.switchOff(), timeout, 'switch off');
      r.timings.offMs = performance.now() - o0;
      if (terms.length === 0) fail(spec.imsi, 'switched off without a termination acknowledgement');
    } catch (e) {
      fail(spec.imsi, (e as Error).message);
    }
  }));
  await withTimeout(world.core.idle(), timeout, 'core idle').catch((e: Error) => reasons.push(e.message));

  // Timings and steps from the trace.
  for (const r of reports.values()) {
    const mine = events.filter((e) => e.imsi === r.imsi);
    r.steps = [...new Set(mine.map((e) => e.step).filter((s): s is NonNullable<typeof s> => s !== undefined))].sort();
    const first = (step: number, actor?: string) => mine.find((e) => e.step === step && (!actor || e.actor.startsWith(actor)))?.at;
    const a0 = first(201, 'device');
    const a1 = first(202, 'device');
    const h = mine.find((e) => e.ev === 'hello')?.at;
    const rd = mine.find((e) => e.step === 207 && e.actor.startsWith('device') && e.ev === 'ready')?.at;
    if (a0 !== undefined && a1 !== undefined) r.timings.attachMs = a1 - a0;
    if (h !== undefined && rd !== undefined) r.timings.provisionMs = rd - h;
    if (r.ok) {
      const missing = [201, 202, 203, 204, 205, 206, 207, 208, 209, 210].filter((s) => !r.steps.includes(s));
      if (missing.length) fail(r.imsi, `steps never seen: ${missing.join(', ')}`);
    }
  }

  const leftovers = {
    instances: [...world.edges.values()].reduce((n, e) => n + e.instances().length, 0),
    provisions: (await world.core.store.provisions()).filter((p) => p.state !== 'REMOVED' && p.state !== 'FAILED' && p.state !== 'FAILED_TEMP').length,
    sessions: world.network.sessions().length,
  };
  if (leftovers.instances) reasons.push(`${leftovers.instances} service instance(s) still running after switch-off`);
  if (leftovers.provisions) reasons.push(`${leftovers.provisions} provision(s) still active after switch-off`);
  if (leftovers.sessions) reasons.push(`${leftovers.sessions} network session(s) still attached after switch-off`);

  const devices = [...reports.values()];
  return {
    ok: reasons.length === 0 && devices.every((d) => d.ok),
    reasons,
    devices,
    roamer: roamer?.spec.imsi,
    leftovers,
    durationMs: performance.now() - t0,
  };
}
