// The fn image build lock (runtime/image/build.ts): builds of one input hash are serialised across
// processes on a host, and a lock left by a dead process is taken over. Real files, real processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withBuildLock } from '../src/runtime/image/build.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function lockDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'simedge-lock-'));
  dirs.push(d);
  return d;
}

/** A node process that lives until killed; resolves once it runs. */
function holder(): Promise<{ pid: number; kill(): Promise<void> }> {
  const p = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    p.once('error', reject);
    p.stdout.once('data', () => resolve({
      pid: p.pid!,
      kill: () => new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGKILL'); }),
    }));
  });
}

describe('fn image build lock', () => {
  it('a second holder waits until the first releases; the file is gone afterwards', async () => {
    const dir = lockDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let firstIn!: () => void;
    const firstEntered = new Promise<void>((r) => { firstIn = r; });
    let aDone = false;
    const a = withBuildLock('k', async () => { firstIn(); await gate; aDone = true; }, { dir });
    await firstEntered;
    let bSawLock!: (owner: number) => void;
    const bWaiting = new Promise<number>((r) => { bSawLock = r; });
    let bEnteredWhileAHeld = false;
    let bEntered = false;
    const b = withBuildLock('k', async () => { bEntered = true; bEnteredWhileAHeld = !aDone; }, { dir, onWait: (o) => bSawLock(o) });
    // b found the lock held by this process (a) and is polling, not building.
    expect(await bWaiting).toBe(process.pid);
    expect(bEntered).toBe(false);
    release();
    await Promise.all([a, b]);
    expect(bEntered).toBe(true);
    expect(bEnteredWhileAHeld).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the lock is released when the build fails', async () => {
    const dir = lockDir();
    await expect(withBuildLock('k', async () => { throw new Error('build broke'); }, { dir })).rejects.toThrow('build broke');
    expect(readdirSync(dir)).toEqual([]);
    expect(await withBuildLock('k', async () => 'again', { dir })).toBe('again');
  });

  it('a lock held by a live process blocks; once that process dies (a crashed agent) it is taken over', async () => {
    const dir = lockDir();
    const other = await holder();
    writeFileSync(join(dir, 'simedge-fn-build-k.lock'), String(other.pid));
    let entered = false;
    let sawOwner!: (owner: number) => void;
    const waiting = new Promise<number>((r) => { sawOwner = r; });
    const mine = withBuildLock('k', async () => { entered = true; return 'built'; }, { dir, onWait: (o) => sawOwner(o) });
    // It looked at the lock, found its owner alive, and waits instead of building.
    expect(await waiting).toBe(other.pid);
    expect(entered).toBe(false);
    await other.kill();
    expect(await mine).toBe('built');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a lock naming a process that no longer exists is taken at once', async () => {
    const dir = lockDir();
    const gone = await holder();
    await gone.kill();
    writeFileSync(join(dir, 'simedge-fn-build-k.lock'), String(gone.pid));
    const waits: number[] = [];
    expect(await withBuildLock('k', async () => 'built', { dir, onWait: (o) => waits.push(o) })).toBe('built');
    expect(waits).toEqual([]);
  });

  it("a lock naming this process's own pid that it does not hold (a dead process's reused pid) is taken at once", async () => {
    const dir = lockDir();
    writeFileSync(join(dir, 'simedge-fn-build-k.lock'), String(process.pid));
    const waits: number[] = [];
    expect(await withBuildLock('k', async () => 'built', { dir, onWait: (o) => waits.push(o) })).toBe('built');
    expect(waits).toEqual([]);
  });
});
