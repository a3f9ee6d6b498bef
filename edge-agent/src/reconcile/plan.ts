// The pure planner (STYLE #11): plan(current, desired) returns the steps that move what runs
// towards what should run, and the answers that are now due. It never does I/O; executors do.
// Calling it again after executing its steps converges: a pass that changes nothing returns [].
//
// Rules, per instance key:
// - desired (some device uses it): keep one instance with the desired spec hash - a running one,
//   else adopt a found one, else start one (unless in restart backoff); stop/remove every other.
// - shared key no device uses: keep one running/found instance until its grace time (setting it
//   when it is first seen unused), then stop it. A later join clears the grace time.
// - anything else (another edge's leftovers never reach here: runtimes list by edge label): stop
//   running ones, remove found ones (orphans of a crash).
// Answers: `ready` once every key of a pending provision has a kept running instance; `fail`
// and `removed` once the provision's private instances are gone.
import { privateKeys } from './desired.js';
import type { Desired, DesiredInstance, Observed, Step } from './types.js';

const isShared = (key: string) => key.startsWith('class:');

function drop(o: Observed): Step {
  return o.state === 'running' ? { t: 'stop', key: o.key, id: o.id } : { t: 'remove-orphan', runtime: o.runtime, ref: o.ref ?? { id: o.id, labels: {} } };
}

/** The one instance to keep among `list` (running before found), or undefined. */
function pick(list: Observed[], ok: (o: Observed) => boolean): Observed | undefined {
  return list.find((o) => o.state === 'running' && ok(o)) ?? list.find((o) => o.state === 'found' && ok(o) && o.ref !== undefined);
}

export function plan(current: readonly Observed[], desired: Desired): Step[] {
  const want = new Map<string, DesiredInstance>(desired.instances.map((d) => [d.key, d]));
  const byKey = new Map<string, Observed[]>();
  for (const o of current) byKey.set(o.key, [...(byKey.get(o.key) ?? []), o]);

  const grace: Step[] = [];
  const drops: Step[] = [];
  const adopts: Step[] = [];
  const starts: Step[] = [];
  /** Keys with a running instance that stays as it is this pass. */
  const settled = new Set<string>();

  // A grace time is moot once a device uses the key again, or once nothing runs under it.
  for (const key of Object.keys(desired.grace)) if (want.has(key) || !byKey.has(key)) grace.push({ t: 'grace-clear', key });

  for (const [key, list] of byKey) {
    const d = want.get(key);
    let keep: Observed | undefined;
    if (d) keep = pick(list, (o) => o.runtime === d.runtime && o.hash === d.hash);
    else if (isShared(key) && key !== '') {
      const until = desired.grace[key];
      if (until === undefined) {
        keep = pick(list, () => true);
        if (keep) grace.push({ t: 'grace-set', key, until: desired.now + desired.graceMs });
      } else if (desired.now < until) keep = pick(list, () => true);
      else grace.push({ t: 'grace-clear', key });
    }
    for (const o of list) if (o !== keep) drops.push(drop(o));
    if (keep?.state === 'running') settled.add(key);
    else if (keep?.ref) adopts.push({ t: 'adopt', key, runtime: keep.runtime, ref: keep.ref });
  }

  for (const d of want.values()) {
    if (settled.has(d.key) || adopts.some((s) => s.t === 'adopt' && s.key === d.key)) continue;
    if ((desired.backoff[d.key] ?? 0) > desired.now) continue;
    starts.push({ t: 'start', key: d.key, runtime: d.runtime, spec: d.spec, hash: d.hash });
  }

  const present = new Set(byKey.keys());
  const answers: Step[] = [];
  for (const p of desired.provisions) {
    if (p.state === 'pending' && p.services.every((s) => settled.has(s.key))) answers.push({ t: 'publish-ready', pid: p.pid });
    const gone = privateKeys(p).every((k) => !present.has(k));
    if (p.state === 'failed' && gone) answers.push({ t: 'publish-failed', pid: p.pid });
    if (p.state === 'removing' && gone) answers.push({ t: 'publish-removed', pid: p.pid });
  }
  // Free resources first, then re-attach, then start, then answer.
  return [...grace, ...drops, ...adopts, ...starts, ...answers];
}
