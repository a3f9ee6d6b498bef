// CPU limits for the process runtime: one cgroup per instance (`simedge/<edge>/<instance>`) with a
// CFS quota from res.cpu, the child moved into it before its code arrives, the folder removed once
// the child is gone. cgroup v1 (a `cpu` controller mounted at <root>/cpu or <root>/cpu,cpuacct:
// cpu.cfs_period_us / cpu.cfs_quota_us) or v2 (<root> is the unified hierarchy with `cpu` in
// cgroup.controllers: cpu.max, `+cpu` enabled down the path). When neither is writable (no root,
// a read-only mount, a container without delegation) detection says why and the runtime runs
// without CPU limits - honestly reported, never silently. [kernel Documentation/scheduler/
// sched-bwc.rst; admin-guide/cgroup-v2.rst "cpu"]
import { access, mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** CFS period used for every instance (the kernel default): quota = cpu × period. */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas under 1 ms. */
const MIN_QUOTA_US = 1000;

export type CpuLimits =
  | { kind: 'cgroup-v1' | 'cgroup-v2'; dir: string }
  | { kind: 'none'; why: string };

/** A name that is one path component: instance ids contain `/` and `:`. */
export function cgroupName(s: string): string {
  const n = s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_');
  return n.slice(0, 200) || '_';
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Find a writable CPU controller for `simedge/<edge>` under `root` (default /sys/fs/cgroup) and
 * create that folder. Never throws: an unusable machine yields `{kind: 'none', why}`.
 */
export async function detectCpuLimits(edge: string, root = '/sys/fs/cgroup'): Promise<CpuLimits> {
  const base = join('simedge', cgroupName(edge));
  try {
    const controllers = await readFile(join(root, 'cgroup.controllers'), 'utf8').catch(() => undefined);
    if (controllers !== undefined) {
      if (!controllers.split(/\s+/).includes('cpu')) return { kind: 'none', why: `cgroup v2 at ${root} offers no cpu controller` };
      // v2: a controller is usable in a child only if every ancestor enabled it for its children.
      let dir = root;
      for (const part of base.split('/')) {
        await writeFile(join(dir, 'cgroup.subtree_control'), '+cpu');
        dir = join(dir, part);
        await mkdir(dir, { recursive: true });
      }
      await writeFile(join(dir, 'cgroup.subtree_control'), '+cpu');
      return { kind: 'cgroup-v2', dir };
    }
    for (const mount of ['cpu,cpuacct', 'cpu']) {
      const m = join(root, mount);
      if (!(await exists(join(m, 'cpu.cfs_quota_us')))) continue;
      const dir = join(m, base);
      await mkdir(dir, { recursive: true });
      return { kind: 'cgroup-v1', dir };
    }
    return { kind: 'none', why: `no cgroup cpu controller mounted under ${root}` };
  } catch (e) {
    return { kind: 'none', why: `cgroup cpu controller not writable: ${errText(e)}` };
  }
}

/** One instance's cgroup: created with its quota, then the child joins; removed after it exited. */
export class CpuCgroup {
  private constructor(readonly dir: string, readonly kind: 'cgroup-v1' | 'cgroup-v2') {}

  /** Create `<limits.dir>/<name>` with a quota of `cpu` cores. */
  static async create(limits: Extract<CpuLimits, { dir: string }>, name: string, cpu: number): Promise<CpuCgroup> {
    if (!(cpu > 0) || !Number.isFinite(cpu)) throw new RangeError(`cpu limit must be a positive number, got ${cpu}`);
    const dir = join(limits.dir, cgroupName(name));
    await mkdir(dir, { recursive: true });
    const quota = Math.max(MIN_QUOTA_US, Math.round(cpu * CFS_PERIOD_US));
    if (limits.kind === 'cgroup-v1') {
      await writeFile(join(dir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      await writeFile(join(dir, 'cpu.cfs_quota_us'), String(quota));
    } else {
      await writeFile(join(dir, 'cpu.max'), `${quota} ${CFS_PERIOD_US}`);
    }
    return new CpuCgroup(dir, limits.kind);
  }

  /** Move a process (all its threads) into this cgroup. */
  async add(pid: number): Promise<void> {
    await writeFile(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** The quota as the kernel reports it back, in cores. */
  async quota(): Promise<number> {
    if (this.kind === 'cgroup-v1') {
      const q = Number(await readFile(join(this.dir, 'cpu.cfs_quota_us'), 'utf8'));
      const p = Number(await readFile(join(this.dir, 'cpu.cfs_period_us'), 'utf8'));
      return q < 0 ? 0 : q / p;
    }
    const [q, p] = (await readFile(join(this.dir, 'cpu.max'), 'utf8')).trim().split(' ');
    return q === 'max' ? 0 : Number(q) / Number(p);
  }

  /** Remove the folder; the processes in it must be gone (a zombie still counts for a moment). */
  async remove(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(this.dir);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        // EBUSY: the exited child is still being reaped by the kernel; bounded retry.
        if (code !== 'EBUSY') throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
}

/** Remove empty instance cgroups a crashed agent left under `limits.dir` (non-empty ones stay). */
export async function sweepCgroups(limits: Extract<CpuLimits, { dir: string }>): Promise<void> {
  const names = await readdir(limits.dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(names.filter((d) => d.isDirectory()).map((d) => rmdir(join(limits.dir, d.name)).catch(() => undefined)));
}
