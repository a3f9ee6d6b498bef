// The process runtime's OS-level walls and promises, on real child processes: the CPU quota in a
// per-instance cgroup (read back from the cgroup files, usage measured from /proc), the permission
// model on the host's command line, and the preferred port (stable endpoints) with its fallback.
// The CPU test needs a writable cgroup cpu controller (root on this machine and in CI); without
// one it checks that the runtime says so instead of pretending.
import { readFile, readdir, access } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RunSpec } from '../src/index.js';
import { cgroupName } from '../src/runtime/cgroup.js';
import { post } from './helpers.js';
import { processRuntimes } from './process-harness.js';

const runtime = processRuntimes();

const spec = (code: string, over: Partial<RunSpec> = {}): RunSpec => ({
  pid: 'p1', service: 'fn', edge: 'e1', labels: { 'simedge.edge': 'e1', 'simedge.key': 'p1/fn' }, code, res: { cpu: 0, mem: 16 }, ...over,
});

/** utime + stime of a process, in seconds [proc(5) /proc/pid/stat fields 14, 15]. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name, field 3 is index 0: utime is field 14, stime field 15. USER_HZ is 100 on Linux.
  return (Number(f[11]) + Number(f[12])) / 100;
}

const exists = (p: string) => access(p).then(() => true, () => false);

describe('process runtime: CPU limit from res.cpu (cgroup)', () => {
  it('puts a 0.2-CPU instance in its own cgroup with a 20 ms / 100 ms quota; a busy loop gets about 0.2 CPU; stop removes it', async () => {
    const r = runtime({ edge: `lim-${process.pid}`, callTimeoutMs: 3000 });
    const limits = await r.limits();
    if (limits.kind === 'none') {
      // No writable cpu controller: the runtime must say why, and still run the instance.
      expect(limits.why).toMatch(/cgroup/);
      const inst = await r.start(spec('function handle() { return 1; }', { res: { cpu: 0.2, mem: 16 } }));
      expect(r.cgroupOf(inst)).toBeUndefined();
      return;
    }
    const busy = 'function handle(i) { const t = Date.now(); let n = 0; while (Date.now() - t < i.ms) n++; return n > 0; }';
    const inst = await r.start(spec(busy, { res: { cpu: 0.2, mem: 16 } }));
    const cg = r.cgroupOf(inst);
    expect(cg?.dir).toContain(`simedge/${cgroupName(`lim-${process.pid}`)}/`);
    expect(await cg?.quota()).toBeCloseTo(0.2, 5);
    const procs = (await readFile(`${cg?.dir}/cgroup.procs`, 'utf8')).trim().split('\n').map(Number);
    expect(procs).toContain(inst.osPid);
    // Usage: CPU seconds of the host over a 1.5 s busy call, against the wall time it took.
    const pid = inst.osPid ?? -1;
    const c0 = await cpuSeconds(pid);
    const t0 = performance.now();
    expect(await post(inst.endpoint, '{"ms": 1500}')).toEqual({ status: 200, body: true });
    const share = ((await cpuSeconds(pid)) - c0) / ((performance.now() - t0) / 1000);
    // Unlimited it would be ~1.0; the quota holds it near 0.2 (loose: tick granularity, start-up).
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.45);
    if (cg?.kind === 'cgroup-v1') expect(await readFile(`${cg.dir}/cpu.stat`, 'utf8')).toMatch(/nr_throttled [1-9]/);
    await r.stop(inst);
    expect(await exists(cg?.dir ?? '/')).toBe(false);
  }, 10_000);

  it('res.cpu 0 means no quota: no cgroup is made', async () => {
    const r = runtime({ edge: `lim0-${process.pid}` });
    const inst = await r.start(spec('function handle() { return 1; }'));
    expect(r.cgroupOf(inst)).toBeUndefined();
  });

  it('cgroupRoot: false (or no cgroup fs) degrades honestly: limits() says why, the instance runs', async () => {
    const off = runtime({ cgroupRoot: false });
    expect(await off.limits()).toEqual({ kind: 'none', why: 'CPU limits turned off (cgroupRoot: false)' });
    const missing = runtime({ cgroupRoot: '/nonexistent-cgroup-root' });
    expect(await missing.limits()).toEqual({ kind: 'none', why: 'no cgroup cpu controller mounted under /nonexistent-cgroup-root' });
    const inst = await missing.start(spec('function handle() { return 7; }', { res: { cpu: 0.5, mem: 16 } }));
    expect((await post(inst.endpoint, '{}')).body).toBe(7);
  });
});

describe('process runtime: sandbox wall and ports', () => {
  it('runs the host under the permission model, readable only its own file', async () => {
    const r = runtime();
    const inst = await r.start(spec('function handle() { return 1; }'));
    const argv = (await readFile(`/proc/${inst.osPid}/cmdline`, 'utf8')).split('\0');
    expect(argv).toContain('--experimental-permission');
    expect(argv.filter((a) => a.startsWith('--allow-fs-read='))).toEqual([expect.stringMatching(/\/fn-host\.mjs$/)]);
  });

  it('binds the preferred port when free (stable endpoint), and another one when it is taken', async () => {
    const r = runtime();
    const first = await r.start(spec('function handle() { return 1; }'));
    const port = Number(new URL(first.endpoint).port);
    await r.stop(first);
    const again = await r.start(spec('function handle() { return 2; }', { port }));
    expect(again.endpoint).toBe(first.endpoint);
    expect((await post(again.endpoint, '{}')).body).toBe(2);
    // Taken (the running instance holds it): falls back to a port of the OS's choosing.
    const other = await r.start(spec('function handle() { return 3; }', { port }));
    expect(other.endpoint).not.toBe(first.endpoint);
    expect((await post(other.endpoint, '{}')).body).toBe(3);
  });

  it('a taken preferred port held by a foreign listener is not an error either', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const addr = blocker.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const inst = await runtime().start(spec('function handle() { return 4; }', { port }));
      expect(Number(new URL(inst.endpoint).port)).not.toBe(port);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

/** OS pids of the fn hosts that are children of this test process (by its file in argv). */
async function fnHostPids(): Promise<Set<number>> {
  const out = new Set<number>();
  await Promise.all((await readdir('/proc')).filter((d) => /^[0-9]+$/.test(d)).map(async (d) => {
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes('fn-host.mjs')) return;
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid), after the parenthesised command name.
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) out.add(Number(d));
  }));
  return out;
}

describe('process runtime: warm start', () => {
  it('after a start, a standby host of that heap size waits; the next start uses it; list() hides it; close() ends it', async () => {
    const r = runtime();
    const first = await r.start(spec('function handle() { return 1; }', { res: { cpu: 0, mem: 24 } }));
    const before = await fnHostPids();
    const second = await r.start(spec('function handle() { return 2; }', { res: { cpu: 0, mem: 24 } }));
    // The second instance's process existed before start() was called: the standby.
    expect(before.has(second.osPid ?? -1)).toBe(true);
    expect((await post(second.endpoint, '{}')).body).toBe(2);
    expect((await r.list()).map((x) => x.osPid).sort()).toEqual([first.osPid, second.osPid].sort());
    const standby = [...(await fnHostPids())].filter((p) => !before.has(p));
    expect(standby).toHaveLength(1);
    await r.close();
    const left = await fnHostPids();
    expect([first.osPid, second.osPid, ...standby].filter((p) => left.has(p ?? -1))).toEqual([]);
  });

  it('warm: false spawns every host cold', async () => {
    const r = runtime({ warm: false });
    await r.start(spec('function handle() { return 1; }'));
    const before = await fnHostPids();
    const second = await r.start(spec('function handle() { return 2; }'));
    expect(before.has(second.osPid ?? -1)).toBe(false);
  });
});
