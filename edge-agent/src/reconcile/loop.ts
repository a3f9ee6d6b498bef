// The reconcile loop: read the desired state from the store, observe what runs, plan(), execute,
// repeat until plan() has nothing left to do. Runs on start-up (after listing what the runtimes
// find), after every order, when an instance exits, and when a grace or backoff time is reached.
// Runs never overlap; requests that arrive during a run are coalesced into one more run.
import { desiredInstances } from './desired.js';
import { execute, type ExecEnv } from './executor.js';
import { plan } from './plan.js';
import type { Desired, Observed, Step } from './types.js';
import { LABEL } from '../runtime/types.js';

/** A run that has not converged after this many passes gives up until the next trigger. */
const MAX_PASSES = 25;

export class Reconciler {
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(private readonly env: ExecEnv, private readonly graceMs: number) {}

  /** List what every runtime finds for this edge (start-up): planned as adoptable or orphaned. */
  async discover(): Promise<void> {
    for (const rt of Object.values(this.env.runtimes)) {
      let refs: Awaited<ReturnType<typeof rt.list>> = [];
      try {
        refs = await rt.list();
      } catch (e) {
        this.env.log(`runtime ${rt.name}: list failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const ref of refs) {
        if (ref.labels[LABEL.edge] !== undefined && ref.labels[LABEL.edge] !== this.env.edge) continue;
        this.env.found.push({ key: ref.labels[LABEL.key] ?? '', runtime: rt.name, hash: ref.labels[LABEL.spec] ?? '', state: 'found', id: ref.id, ref });
      }
    }
  }

  /** Resolve once a run that started after this call has finished. */
  kick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.current) {
      this.current = this.run().finally(() => {
        this.current = undefined;
      });
      return this.current;
    }
    this.next ??= this.current.then(() => {
      this.next = undefined;
      return this.kick();
    });
    return this.next;
  }

  /** Resolve once the answer to order `oid` has been recorded and published (or the agent stops). */
  answered(oid: string): Promise<void> {
    return new Promise((resolve) => this.waiters.set(oid, [...(this.waiters.get(oid) ?? []), resolve]));
  }

  settled(oid: string): void {
    const list = this.waiters.get(oid) ?? [];
    this.waiters.delete(oid);
    for (const f of list) f();
  }

  /** Stop scheduling; wake every waiter (their orders end with the agent). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const oid of [...this.waiters.keys()]) this.settled(oid);
    await this.current?.catch(() => undefined);
  }

  desired(): Desired {
    const now = this.env.now();
    const provisions = this.env.store.provisions();
    return { instances: desiredInstances(provisions), provisions, grace: this.env.store.grace(), backoff: this.env.backoff.snapshot(now), now, graceMs: this.graceMs };
  }

  observed(): Observed[] {
    return [...this.env.table.observed(), ...this.env.found];
  }

  private async run(): Promise<void> {
    let steps: Step[] = [];
    for (let pass = 0; pass < MAX_PASSES && !this.closed; pass++) {
      steps = plan(this.observed(), this.desired());
      if (steps.length === 0) break;
      for (const s of steps) {
        if (this.closed) return;
        await execute(s, this.env);
      }
    }
    if (steps.length > 0) this.env.log(`reconcile did not converge after ${MAX_PASSES} passes; next: ${steps.map((s) => s.t).join(', ')}`);
    this.schedule();
  }

  /** Wake up at the next grace expiry or backoff end that can change the plan. */
  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const d = this.desired();
    const wanted = new Set(d.instances.map((i) => i.key));
    const times = [...Object.entries(d.grace).filter(([k]) => !wanted.has(k)).map(([, t]) => t), ...Object.values(d.backoff)];
    if (times.length === 0) return;
    const delay = Math.max(0, Math.min(...times) - d.now) + 5;
    this.timer = setTimeout(() => void this.kick(), delay);
  }
}
