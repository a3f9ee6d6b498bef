// The executors: one function per Step type (STYLE #11), doing the I/O the pure planner asked for
// - runtimes, the state store, answers - against a narrow environment. A failing step never
// throws out: it records its outcome (a failed start fails the pending deploys that needed it,
// a failed adoption removes the instance) so the next plan() sees it.
import { isSimedgeError, type EdgeEvent, type Step as TraceStep } from '@simedge/device-sdk/wire';
import type { InstanceTable } from '../instances.js';
import type { Log } from '../log.js';
import type { EdgeMetrics } from '../metrics.js';
import type { Runtime } from '../runtime/types.js';
import type { StateStore } from '../store/store.js';
import type { Backoff } from './backoff.js';
import { crashPoint } from './crash.js';
import { desiredInstances } from './desired.js';
import type { Observed, Step } from './types.js';

export interface ExecEnv {
  readonly edge: string;
  readonly store: StateStore;
  readonly table: InstanceTable;
  readonly runtimes: Readonly<Record<string, Runtime>>;
  /** Instances runtimes listed at start-up and not adopted or removed yet. */
  readonly found: Observed[];
  readonly backoff: Backoff;
  readonly metrics: EdgeMetrics;
  readonly log: Log;
  now(): number;
  stopping(): boolean;
  /** Publish every owed answer (the outbox). */
  flush(): Promise<void>;
  /** The answer for `oid` was recorded: wake whoever waits for it. */
  settled(oid: string): void;
  trace(step: TraceStep, ev: string, imsi?: string, detail?: string): void;
  statusChanged(): void;
}

type Exec<T extends Step['t']> = (s: Extract<Step, { t: T }>, env: ExecEnv) => Promise<void>;
type ExecTable = { [T in Step['t']]: Exec<T> };

export function cause(e: unknown): string {
  if (isSimedgeError(e)) return e.detail ?? e.message;
  return e instanceof Error ? e.message : String(e);
}

/** The TCP port of an endpoint URL, if it names one. */
export function portOf(endpoint: string): number | undefined {
  try {
    const p = Number(new URL(endpoint).port);
    return Number.isInteger(p) && p > 0 ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A restarted instance came up on another endpoint than the one the devices were given (its old
 * port was taken): say `ready` again, with the new endpoints, for every answered provision using it.
 */
async function reannounce(env: ExecEnv, key: string): Promise<void> {
  for (const p of env.store.provisions()) {
    if (p.state !== 'ready' || !p.services.some((x) => x.key === key)) continue;
    const svc = p.services.map((x) => ({ n: x.spec.service, ep: env.table.get(x.key)?.inst.endpoint ?? '' }));
    // The rest of its instances are being restarted too: the last one to come up announces all.
    if (svc.some((x) => x.ep === '')) continue;
    env.store.reannounce({ t: 'ready', oid: p.oid, pid: p.pid, edge: env.edge, svc });
    env.log(`pid ${p.pid}: ${key} moved to ${env.table.get(key)?.inst.endpoint ?? '?'}; ready re-sent`);
    env.trace(207, 'ready-again', p.imsi, svc.map((x) => `${x.n} ${x.ep}`).join(', '));
  }
  await env.flush();
}

function takeFound(env: ExecEnv, id: string): void {
  const i = env.found.findIndex((o) => o.id === id);
  if (i >= 0) env.found.splice(i, 1);
}

async function answer(env: ExecEnv, pid: string, make: (oid: string) => EdgeEvent): Promise<{ oid: string; imsi: string; at: number } | undefined> {
  const p = env.store.provision(pid);
  if (!p) return undefined;
  env.store.answer(pid, make(p.oid));
  if (p.state === 'pending') crashPoint('ready-recorded');
  await env.flush();
  env.settled(p.oid);
  return { oid: p.oid, imsi: p.imsi, at: p.at };
}

export const EXECUTORS: ExecTable = {
  'grace-set': async (s, env) => {
    env.store.setGrace(s.key, s.until);
    env.trace(210, 'grace', undefined, `${s.key} unused, kept until ${new Date(s.until).toISOString()}`);
  },
  'grace-clear': async (s, env) => {
    env.store.clearGrace(s.key);
  },
  stop: async (s, env) => {
    const r = env.table.takeById(s.id);
    if (!r) return;
    await r.runtime.stop(r.inst);
    // Nobody wants the key any more: its port is free for others (a replacement keeps it).
    if (env.store.refs(s.key).length === 0) env.store.forgetPort(s.key);
    // After the stop: the status says the resources are free only once they are.
    env.statusChanged();
    env.backoff.forget(s.key);
    crashPoint('instance-stopped');
    env.trace(209, 'stopped', undefined, `${s.key} ${r.inst.id}`);
  },
  'remove-orphan': async (s, env) => {
    takeFound(env, s.ref.id);
    const rt = env.runtimes[s.runtime];
    try {
      await rt?.remove(s.ref);
      env.log(`removed orphan ${s.ref.id} (${s.ref.labels['simedge.key'] ?? 'no key'})`);
    } catch (e) {
      env.log(`removing orphan ${s.ref.id} failed: ${cause(e)}`);
    }
  },
  adopt: async (s, env) => {
    takeFound(env, s.ref.id);
    const rt = env.runtimes[s.runtime];
    if (!rt) return;
    const inst = await rt.adopt(s.ref).catch(() => undefined);
    if (!inst) {
      // Not healthy (or not adoptable): remove it; the next pass starts a fresh one if still desired.
      await rt.remove(s.ref).catch((e: unknown) => env.log(`removing unadoptable ${s.ref.id} failed: ${cause(e)}`));
      return;
    }
    // Adopted only with the desired spec hash, so the desired spec says which artefact it runs.
    const art = desiredInstances(env.store.provisions()).find((d) => d.key === s.key)?.spec.art;
    env.table.set({ key: s.key, hash: s.ref.labels['simedge.spec'] ?? '', inst, runtime: rt, startedAt: env.now(), ...(art !== undefined ? { art } : {}) });
    const port = portOf(inst.endpoint);
    if (port !== undefined) env.store.setPort(s.key, port);
    env.log(`adopted ${s.key} at ${inst.endpoint}`);
    env.statusChanged();
  },
  start: async (s, env) => {
    const rt = env.runtimes[s.runtime];
    try {
      if (!rt) throw new Error(`runtime ${s.runtime} not available`);
      // The port this key served on before (stable endpoint across instance and agent restarts).
      const before = env.store.port(s.key);
      const inst = await rt.start(before !== undefined ? { ...s.spec, port: before } : s.spec);
      crashPoint('instance-started');
      if (env.stopping()) {
        await rt.stop(inst);
        return;
      }
      const port = portOf(inst.endpoint);
      if (port !== undefined && port !== before) env.store.setPort(s.key, port);
      env.table.set({ key: s.key, hash: s.hash, inst, runtime: rt, startedAt: env.now(), ...(s.spec.art !== undefined ? { art: s.spec.art } : {}) });
      env.trace(207, 'started', undefined, `${s.key} ${inst.endpoint}${inst.osPid ? ` os pid ${inst.osPid}` : ''}`);
      env.statusChanged();
      if (before !== undefined && port !== before) await reannounce(env, s.key);
    } catch (e) {
      // All or nothing: every pending deploy that needed this instance fails (its other instances
      // are then stopped by the next pass before `fail` is sent). Ready ones keep it desired and
      // it is retried after a backoff.
      const msg = cause(e);
      const pending = env.store.provisions().filter((p) => p.state === 'pending' && p.services.some((x) => x.key === s.key));
      env.store.markFailed(pending.map((p) => p.pid), msg);
      if (env.store.refs(s.key).length > 0) env.backoff.failed(s.key, env.now());
      env.log(`start ${s.key} failed: ${msg}`);
    }
  },
  'publish-ready': async (s, env) => {
    const svc = (env.store.provision(s.pid)?.services ?? []).map((x) => ({ n: x.spec.service, ep: env.table.get(x.key)?.inst.endpoint ?? '' }));
    const a = await answer(env, s.pid, (oid) => ({ t: 'ready', oid, pid: s.pid, edge: env.edge, svc }));
    if (!a) return;
    env.metrics.order('deploy', 'ready');
    env.metrics.deployed((env.now() - a.at) / 1000);
    env.trace(207, 'ready', a.imsi, svc.map((x) => `${x.n} ${x.ep}`).join(', '));
  },
  'publish-failed': async (s, env) => {
    const msg = env.store.provision(s.pid)?.failMsg ?? 'deploy failed';
    const a = await answer(env, s.pid, (oid) => ({ t: 'fail', oid, pid: s.pid, edge: env.edge, code: 'DEPLOY_FAILED', msg }));
    if (!a) return;
    env.metrics.order('deploy', 'fail');
    env.log(`deploy ${a.oid} (pid ${s.pid}) failed: ${msg}`);
    env.trace(207, 'fail', a.imsi, `DEPLOY_FAILED ${msg}`);
  },
  'publish-removed': async (s, env) => {
    const a = await answer(env, s.pid, (oid) => ({ t: 'removed', oid, pid: s.pid, edge: env.edge }));
    if (!a) return;
    env.metrics.order('remove', 'removed');
    env.trace(210, 'removed', a.imsi, `pid ${s.pid}`);
  },
};

export function execute(step: Step, env: ExecEnv): Promise<void> {
  // The mapped type guarantees EXECUTORS[step.t] takes this step's type; TS cannot correlate the
  // union member with the indexed function, hence the cast.
  return (EXECUTORS[step.t] as (s: Step, env: ExecEnv) => Promise<void>)(step, env);
}
