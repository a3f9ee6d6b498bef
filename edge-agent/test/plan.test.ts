// The pure planner on plain data (STYLE #11): no processes, no store. Each case is one situation
// the agent meets: a fresh deploy, an adoption after a restart, orphans, replacement, shared
// instances with their grace period, restart backoff, and the answers that become due.
import { describe, expect, it } from 'vitest';
import { plan } from '../src/reconcile/plan.js';
import { desiredInstances } from '../src/reconcile/desired.js';
import type { Desired, DesiredService, Observed, Provision } from '../src/reconcile/types.js';

const svc = (key: string, share: 'device' | 'class' = 'device', hash = 'h1'): DesiredService => ({
  key, share, runtime: 'process', hash,
  spec: { pid: key.split('/')[0] ?? '', service: 'fn', edge: 'e', labels: {}, code: 'c', res: { cpu: 0, mem: 16 } },
});
const prov = (pid: string, state: Provision['state'], services: DesiredService[], seq = 1): Provision => ({ pid, oid: `o-${pid}`, state, imsi: '1', services, at: 0, seq });
const run = (key: string, hash = 'h1', id = `${key}#1`): Observed => ({ key, runtime: 'process', hash, state: 'running', id });
const found = (key: string, hash = 'h1', id = `proc:${key}`): Observed => ({ key, runtime: 'process', hash, state: 'found', id, ref: { id, labels: { 'simedge.key': key } } });

function desired(provisions: Provision[], over: Partial<Desired> = {}): Desired {
  return { instances: desiredInstances(provisions), provisions, grace: {}, backoff: {}, now: 1000, graceMs: 500, ...over };
}
const kinds = (steps: ReturnType<typeof plan>) => steps.map((s) => `${s.t}${'key' in s ? ` ${s.key}` : 'pid' in s ? ` ${s.pid}` : ''}`);

describe('plan(current, desired)', () => {
  it('starts what a pending deploy needs, then answers ready once it runs', () => {
    const d = desired([prov('p1', 'pending', [svc('p1/fn')])]);
    expect(kinds(plan([], d))).toEqual(['start p1/fn']);
    expect(kinds(plan([run('p1/fn')], d))).toEqual(['publish-ready p1']);
    expect(plan([run('p1/fn')], desired([prov('p1', 'ready', [svc('p1/fn')])]))).toEqual([]);
  });

  it('after a restart adopts a found instance with the desired spec and removes orphans', () => {
    const d = desired([prov('p1', 'ready', [svc('p1/fn')])]);
    const steps = plan([found('p1/fn'), found('p9/fn'), found('', '', 'proc:7')], d);
    expect(kinds(steps)).toEqual(['remove-orphan', 'remove-orphan', 'adopt p1/fn']);
  });

  it('replaces an instance whose spec changed (stop before start) and drops duplicates', () => {
    const d = desired([prov('p1', 'pending', [svc('p1/fn', 'device', 'h2')])]);
    expect(kinds(plan([run('p1/fn', 'h1')], d))).toEqual(['stop p1/fn', 'start p1/fn']);
    expect(kinds(plan([run('p1/fn', 'h2', 'a'), found('p1/fn', 'h2', 'b')], d))).toEqual(['remove-orphan', 'publish-ready p1']);
  });

  it('answers removed / fail only once the private instances are gone', () => {
    const removing = desired([prov('p1', 'removing', [svc('p1/fn')])]);
    expect(kinds(plan([run('p1/fn')], removing))).toEqual(['stop p1/fn']);
    expect(kinds(plan([], removing))).toEqual(['publish-removed p1']);
    const failed = desired([prov('p1', 'failed', [svc('p1/fn'), svc('p1/fn#1')])]);
    expect(kinds(plan([run('p1/fn')], failed))).toEqual(['stop p1/fn']);
    expect(kinds(plan([], failed))).toEqual(['publish-failed p1']);
  });

  it('shares one instance per class: a join needs no start, refs count devices', () => {
    const shared = svc('class:acme/fn', 'class');
    const ps = [prov('p1', 'ready', [shared], 1), prov('p2', 'pending', [shared], 2)];
    expect(desiredInstances(ps)).toMatchObject([{ key: 'class:acme/fn', refs: ['p1', 'p2'] }]);
    expect(kinds(plan([run('class:acme/fn')], desired(ps)))).toEqual(['publish-ready p2']);
  });

  it('keeps an unused shared instance for the grace period, then stops it; a join clears the grace', () => {
    const cur = [run('class:acme/fn')];
    expect(plan(cur, desired([]))).toEqual([{ t: 'grace-set', key: 'class:acme/fn', until: 1500 }]);
    expect(plan(cur, desired([], { grace: { 'class:acme/fn': 1500 } }))).toEqual([]);
    expect(kinds(plan(cur, desired([], { grace: { 'class:acme/fn': 1500 }, now: 1500 })))).toEqual(['grace-clear class:acme/fn', 'stop class:acme/fn']);
    const join = desired([prov('p3', 'pending', [svc('class:acme/fn', 'class')])], { grace: { 'class:acme/fn': 1500 } });
    expect(kinds(plan(cur, join))).toEqual(['grace-clear class:acme/fn', 'publish-ready p3']);
    // A grace time for something no longer running is dropped.
    expect(kinds(plan([], desired([], { grace: { 'class:acme/fn': 1500 } })))).toEqual(['grace-clear class:acme/fn']);
  });

  it('does not restart a desired instance before its backoff ends', () => {
    const d = desired([prov('p1', 'ready', [svc('p1/fn')])], { backoff: { 'p1/fn': 1200 } });
    expect(plan([], d)).toEqual([]);
    expect(kinds(plan([], { ...d, now: 1200 }))).toEqual(['start p1/fn']);
  });

  it('the newest device decides the spec of a shared instance', () => {
    const ps = [prov('p1', 'ready', [svc('class:a/fn', 'class', 'old')], 1), prov('p2', 'pending', [svc('class:a/fn', 'class', 'new')], 2)];
    expect(kinds(plan([run('class:a/fn', 'old')], desired(ps)))).toEqual(['stop class:a/fn', 'start class:a/fn']);
  });
});
