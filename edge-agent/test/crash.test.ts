// Crash safety (issue 5 item 2): the agent runs as a real child process with a state directory and
// kills itself with SIGKILL at a chosen point of a deploy or a removal (SIMEDGE_TEST_CRASH_AT, a
// test hook in src/reconcile/crash.ts). A restart on the same state must converge: exactly the
// desired instances run, no fn host of the dead agent is left, and the core gets `ready` /
// `removed` exactly once. Real aedes broker, real processes, real SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EdgeReady } from '@simedge/device-sdk/wire';
import { parseMark } from '../src/runtime/process.js';
import { bundleNodeEntry } from '../../test/support/processes.js';
import { agentHarness } from './agent-harness.js';
import { deployOrder, fnService, post, removeOrder, uid, type FakeCore } from './helpers.js';

const ENTRY = fileURLToPath(new URL('./fixtures/agent-main.ts', import.meta.url));
const FN_HOST = fileURLToPath(new URL('../src/runtime/fn-host.mjs', import.meta.url));
const ECHO = 'function handle(input, state) { state.n = (state.n || 0) + 1; return { n: state.n, input }; }';
const GUARD_MS = 8000;

const h = agentHarness();
let entry: string;
let buildDir: string;
beforeAll(async () => {
  // Bundled once instead of loading through tsx in every agent process (test/support); fn-host.mjs
  // is copied next to it because the process runtime finds it relative to its own module.
  ({ file: entry, dir: buildDir } = await bundleNodeEntry(ENTRY, 'simedge-crash-', 'agent-main.mjs'));
  copyFileSync(FN_HOST, join(buildDir, 'fn-host.mjs'));
});
afterAll(async () => {
  rmSync(buildDir, { recursive: true, force: true });
});

/** OS pids of fn hosts that belong to this edge + state directory (the scope in their argv). */
function hosts(edge: string, stateDir: string): number[] {
  const scope = `${edge}@${resolve(stateDir)}`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    let cmd: string;
    let stat: string;
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
    if (parseMark(cmd)?.scope === scope) out.push(Number(d));
  }
  return out;
}

/** Re-check `cond` until it holds (a bounded guard, not a sleep standing in for an event). */
async function eventually(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + GUARD_MS;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Agent { proc: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

async function runAgent(core: FakeCore, stateDir: string, crashAt?: string): Promise<Agent> {
  const cfg = { id: core.edge, brokerUrl: h.broker.url, kid: core.kid, publicKeyHex: Buffer.from(core.key.publicKey).toString('hex'), stateDir };
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SIMEDGE_TEST_CRASH_AT;
  if (crashAt) env.SIMEDGE_TEST_CRASH_AT = crashAt;
  const proc = spawn(process.execPath, [entry, JSON.stringify(cfg)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  h.defer(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`agent did not start: ${err}`)), GUARD_MS);
    proc.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('started')) {
        clearTimeout(timer);
        res();
      }
    });
    void exited.then(() => rej(new Error(`agent exited before starting: ${err}`)));
  });
  return { proc, exited };
}

async function setup() {
  const edge = uid('edge');
  const core = await h.core(edge);
  const stateDir = mkdtempSync(join(tmpdir(), 'simedge-crash-'));
  h.defer(() => rmSync(stateDir, { recursive: true, force: true }));
  return { edge, core, stateDir };
}

describe('edge agent: SIGKILL during a deploy, then restart, converges', () => {
  for (const point of ['deploy-persisted', 'instance-started', 'ready-recorded']) {
    it(`crash at ${point}: one instance runs, ready once, no orphan`, async () => {
      const { edge, core, stateDir } = await setup();
      const first = await runAgent(core, stateDir, point);
      const o = deployOrder(edge, [fnService(ECHO)]);
      await core.send(o);
      expect((await first.exited).signal).toBe('SIGKILL');
      const before = core.eventsOf(o.oid).filter((e) => e.t === 'ready');
      expect(before).toHaveLength(0);

      await runAgent(core, stateDir);
      const ready = (await core.event(o.oid, 'ready')) as EdgeReady;
      const ep = ready.svc[0]?.ep ?? '';
      expect((await post(ep, '{"a":1}')).body).toEqual({ n: 1, input: { a: 1 } });
      await eventually('exactly one fn host', () => hosts(edge, stateDir).length === 1);

      const r = removeOrder(edge, o.pid);
      await core.send(r);
      await core.event(r.oid, 'removed');
      // Events from one publisher arrive in order: everything before `removed` is in.
      expect(core.eventsOf(o.oid).filter((e) => e.t === 'ready')).toHaveLength(1);
      expect(core.eventsOf(o.oid).filter((e) => e.t === 'rcvd')).toHaveLength(1);
      await eventually('no fn host', () => hosts(edge, stateDir).length === 0);
    });
  }
});

describe('edge agent: SIGKILL during a removal, then restart, converges', () => {
  for (const point of ['remove-persisted', 'instance-stopped']) {
    it(`crash at ${point}: nothing runs, removed once, no orphan`, async () => {
      const { edge, core, stateDir } = await setup();
      const first = await runAgent(core, stateDir, point);
      const o = deployOrder(edge, [fnService(ECHO)]);
      await core.send(o);
      await core.event(o.oid, 'ready');
      expect(hosts(edge, stateDir)).toHaveLength(1);
      const r = removeOrder(edge, o.pid);
      await core.send(r);
      expect((await first.exited).signal).toBe('SIGKILL');

      await runAgent(core, stateDir);
      await core.event(r.oid, 'removed');
      await eventually('no fn host', () => hosts(edge, stateDir).length === 0);
      // A barrier order: once it is answered every earlier event has arrived.
      const b = removeOrder(edge, uid('barrier'));
      await core.send(b);
      await core.event(b.oid, 'removed');
      expect(core.eventsOf(r.oid)).toHaveLength(1);
      expect(core.eventsOf(o.oid).filter((e) => e.t === 'ready')).toHaveLength(1);
    });
  }

  it('a restart without a crash re-runs the desired instances without answering again', async () => {
    const { edge, core, stateDir } = await setup();
    const first = await runAgent(core, stateDir);
    const o = deployOrder(edge, [fnService(ECHO)]);
    await core.send(o);
    await core.event(o.oid, 'ready');
    // Barrier: answers go out one after another, each marked sent once acknowledged, so once this
    // one arrived the `ready` is marked sent too (a kill in between would legitimately resend it).
    const b = removeOrder(edge, uid('barrier'));
    await core.send(b);
    await core.event(b.oid, 'removed');
    first.proc.kill('SIGKILL');
    await first.exited;
    await runAgent(core, stateDir);
    await eventually('one fn host again', () => hosts(edge, stateDir).length === 1);
    const r = removeOrder(edge, o.pid);
    await core.send(r);
    await core.event(r.oid, 'removed');
    expect(core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'ready']);
  });
});
