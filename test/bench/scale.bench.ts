// Scale-out benchmark: provisions per second (hello -> chal -> prov -> acc -> ready, all devices
// at once) with one core validator process against two, each run on a fresh PostgreSQL schema
// behind the same Mosquitto 2 (the rig of test/scale/). Everything, PostgreSQL, Mosquitto, the
// devices and edges included, shares this machine's CPUs, so the ratio is a floor for cores on
// hosts of their own.
import { provision, startEngines, startRun, type Engines } from '../scale/rig.js';
import type { Bench, Row } from './types.js';

const N = 600;
const GUARD_MS = 30_000;

async function rate(e: Engines, cores: number): Promise<{ perSec: number; retries: number; startMs: number }> {
  const run = await startRun(e, { n: N, cores, leaseMs: 10_000, guardMs: GUARD_MS });
  try {
    const t0 = performance.now();
    // Long retry: the rate is of first answers, not of the devices' copies.
    await Promise.all(run.devices.map((_, i) => provision(run, i, 'b', 20_000, 2, GUARD_MS)));
    const ms = performance.now() - t0;
    return { perSec: (N * 1000) / ms, retries: run.devices.reduce((n, d) => n + d.retries, 0), startMs: run.coreStartMs };
  } finally {
    await run.close();
  }
}

async function scaleOut(): Promise<Row[]> {
  const e = await startEngines(GUARD_MS);
  try {
    const one = await rate(e, 1);
    const two = await rate(e, 2);
    return [{
      name: `${N} devices provisioning at once, 2 core processes (shared subscriptions, PostgreSQL)`,
      value: `${Math.round(two.perSec)} provisions/s`, baseline: `${Math.round(one.perSec)} provisions/s (1 core process)`,
      ratio: `${(two.perSec / one.perSec).toFixed(2)}x`,
      note: `everything on this host's CPUs (a CPU-bound host gains nothing from a 2nd process); core start-up ${Math.round(two.startMs)} ms (esbuild bundle); retries ${one.retries}/${two.retries}`,
    }];
  } finally {
    await e.stop();
  }
}

export const benches: Bench[] = [{ name: 'scale-out', run: scaleOut }];
