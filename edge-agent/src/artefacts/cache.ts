// The artefact cache, i.e. the edge's function repository (DESIGN.md "Edge services": unused
// artefacts and images are garbage-collected within a disk quota). Artefacts are named by their
// SHA-256 and nothing else: a template's `art: {sha256, size, url}` is fetched once, verified
// before it gets its name, and then served from disk to every instance that references it.
//
// References are per holder (an instance id) and live in memory: after a restart the agent
// re-refs what it adopts before it runs gc(), else gc() would see everything as unreferenced.
// One ArtefactCache per directory: prepare() clears the temp folder it owns.
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { SimedgeError, type ArtefactRef } from '@simedge/device-sdk/wire';
import { checkHex, sha256Hex, toHex } from './digest.js';
import { download, type Fetcher } from './download.js';
import { Layout, type Entry } from './layout.js';
import { atomicWrite } from './write.js';

/** What the OCI runtime (or any other image store) offers the cache's garbage collector. */
export interface ImagePruner {
  list(): Promise<Array<{ id: string; bytes: number; inUse: boolean; lastUsed?: number }>>;
  remove(id: string): Promise<void>;
}

export interface ArtefactCacheOptions {
  /** Root folder; created if missing. */
  dir: string;
  /** Disk budget of artefacts plus images reported by the pruners. */
  quotaBytes: number;
  /** No single artefact may be larger (checked against the declared size and while streaming). */
  maxArtefactBytes: number;
  /** Default: the global fetch. */
  fetch?: Fetcher;
  /** Clock for LRU order (ms); default Date.now. */
  now?: () => number;
  /** Deadline of one whole download; default 30 000 ms. */
  fetchTimeoutMs?: number;
}

export interface Ensured {
  /** Read-only file under the digest (what a container runtime mounts). */
  path: string;
  bytes: Uint8Array;
}

export interface GcResult {
  /** `sha256:<hex>` for artefacts, `image:<id>` for images. */
  removed: string[];
  freedBytes: number;
}

export interface Usage {
  bytes: number;
  count: number;
  referenced: number;
  quotaBytes: number;
}

interface Candidate {
  name: string;
  bytes: number;
  lastUsed: number;
  remove: () => Promise<void>;
}

function posInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  return n;
}

export class ArtefactCache {
  private readonly layout: Layout;
  private readonly quota: number;
  private readonly max: number;
  private readonly fetch: Fetcher;
  private readonly now: () => number;
  private readonly fetchTimeoutMs: number;
  private readonly index = new Map<string, Entry>();
  private readonly holders = new Map<string, Set<string>>();
  /** Digests an ensure()/put() is working on: gc() never removes them. */
  private readonly pinned = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<Ensured>>();
  private readonly pruners: ImagePruner[] = [];
  private ready: Promise<void> | undefined;
  /** gc() runs one at a time (ensure() may call it while an operator's gc() runs). */
  private gcChain: Promise<unknown> = Promise.resolve();

  constructor(opts: ArtefactCacheOptions) {
    this.layout = new Layout(opts.dir);
    this.quota = posInt(opts.quotaBytes, 'quotaBytes');
    this.max = posInt(opts.maxArtefactBytes, 'maxArtefactBytes');
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.now = opts.now ?? Date.now;
    this.fetchTimeoutMs = opts.fetchTimeoutMs ?? 30_000;
  }

  /** Register an image store whose unused images gc() may remove to stay under the quota. */
  addImagePruner(p: ImagePruner): void {
    this.pruners.push(p);
  }

  pathOf(hex: string): string {
    return this.layout.pathOf(checkHex(hex));
  }

  /**
   * The artefact's bytes from disk, downloading and verifying it first if it is missing or its
   * file no longer matches its digest. Concurrent calls for one digest share one download.
   */
  ensure(ref: ArtefactRef): Promise<Ensured> {
    let hex: string;
    try {
      hex = toHex(ref.sha256);
      posInt(ref.size, 'artefact size');
    } catch (e) {
      return Promise.reject(e);
    }
    if (ref.size > this.max) return Promise.reject(new SimedgeError('ARTEFACT_TOO_LARGE', `declared size ${ref.size} over the edge limit ${this.max}`));
    const running = this.inflight.get(hex);
    if (running) return running;
    const p = this.pinWhile(hex, () => this.fetchOrLoad(hex, ref)).finally(() => this.inflight.delete(hex));
    this.inflight.set(hex, p);
    return p;
  }

  /** Pre-seed one artefact from bytes at hand; resolves with its digest (hex). */
  async put(bytes: Uint8Array): Promise<string> {
    if (bytes.length === 0) throw new RangeError('an artefact has at least one byte');
    if (bytes.length > this.max) throw new SimedgeError('ARTEFACT_TOO_LARGE', `${bytes.length} bytes over the edge limit ${this.max}`);
    const hex = sha256Hex(bytes);
    await this.pinWhile(hex, async () => {
      if ((await this.loadVerified(hex)) !== undefined) return;
      await this.makeRoom(bytes.length);
      const temp = this.layout.tempPath();
      await atomicWrite(temp, bytes);
      await this.layout.commit(temp, hex);
      this.index.set(hex, { hex, bytes: bytes.length, lastUsed: this.now() });
      await this.touch(hex);
    });
    return hex;
  }

  /** Pre-seed every regular file of a folder (not recursive); resolves with their digests. */
  async seed(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const file = join(dir, name);
      const st = await stat(file);
      if (!st.isFile()) continue;
      if (st.size > this.max) throw new SimedgeError('ARTEFACT_TOO_LARGE', `${file}: ${st.size} bytes over the edge limit ${this.max}`);
      out.push(await this.put(await readFile(file)));
    }
    return out;
  }

  /** `holder` (an instance id) uses the artefact: gc() keeps it. Idempotent. */
  ref(hex: string, holder: string): void {
    checkHex(hex);
    let set = this.holders.get(hex);
    if (!set) this.holders.set(hex, (set = new Set()));
    set.add(holder);
  }

  /** `holder` no longer uses the artefact. Idempotent. */
  unref(hex: string, holder: string): void {
    const set = this.holders.get(checkHex(hex));
    if (!set) return;
    set.delete(holder);
    if (set.size === 0) this.holders.delete(hex);
  }

  isReferenced(hex: string): boolean {
    return this.holders.has(hex);
  }

  async usage(): Promise<Usage> {
    await this.open();
    let bytes = 0;
    let referenced = 0;
    for (const e of this.index.values()) {
      bytes += e.bytes;
      if (this.holders.has(e.hex)) referenced++;
    }
    return { bytes, count: this.index.size, referenced, quotaBytes: this.quota };
  }

  /**
   * Remove unreferenced artefacts and unused images, least recently used first, until artefacts
   * plus images fit in the quota. Nothing is removed while everything fits.
   */
  gc(): Promise<GcResult> {
    return this.serialGc(0);
  }

  private serialGc(need: number): Promise<GcResult> {
    const run = this.gcChain.then(() => this.collect(need));
    this.gcChain = run.catch(() => undefined);
    return run;
  }

  private async collect(need: number): Promise<GcResult> {
    await this.open();
    let total = 0;
    const candidates: Candidate[] = [];
    for (const e of this.index.values()) {
      total += e.bytes;
      if (this.holders.has(e.hex) || this.pinned.has(e.hex)) continue;
      candidates.push({ name: `sha256:${e.hex}`, bytes: e.bytes, lastUsed: e.lastUsed, remove: () => this.drop(e.hex) });
    }
    for (const p of this.pruners) {
      for (const img of await p.list()) {
        total += img.bytes;
        if (!img.inUse) candidates.push({ name: `image:${img.id}`, bytes: img.bytes, lastUsed: img.lastUsed ?? 0, remove: () => p.remove(img.id) });
      }
    }
    candidates.sort((a, b) => a.lastUsed - b.lastUsed);
    const removed: string[] = [];
    let freedBytes = 0;
    for (const c of candidates) {
      if (total + need <= this.quota) break;
      await c.remove();
      removed.push(c.name);
      freedBytes += c.bytes;
      total -= c.bytes;
    }
    return { removed, freedBytes };
  }

  private open(): Promise<void> {
    this.ready ??= (async () => {
      await this.layout.prepare();
      for (const e of await this.layout.scan()) this.index.set(e.hex, e);
    })();
    return this.ready;
  }

  private async pinWhile<T>(hex: string, f: () => Promise<T>): Promise<T> {
    this.pinned.set(hex, (this.pinned.get(hex) ?? 0) + 1);
    try {
      await this.open();
      return await f();
    } finally {
      const n = (this.pinned.get(hex) ?? 1) - 1;
      if (n === 0) this.pinned.delete(hex);
      else this.pinned.set(hex, n);
    }
  }

  private async fetchOrLoad(hex: string, ref: ArtefactRef): Promise<Ensured> {
    const path = this.layout.pathOf(hex);
    const local = await this.loadVerified(hex);
    if (local !== undefined) return { path, bytes: local };
    await this.makeRoom(ref.size);
    const temp = this.layout.tempPath();
    try {
      await download({ url: ref.url, hex, size: ref.size, temp, fetch: this.fetch, timeoutMs: this.fetchTimeoutMs });
    } catch (e) {
      if (e instanceof SimedgeError) throw e;
      throw new SimedgeError('ARTEFACT_FETCH_FAILED', `${ref.url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    await this.layout.commit(temp, hex);
    this.index.set(hex, { hex, bytes: ref.size, lastUsed: this.now() });
    await this.touch(hex);
    // Read back what is on disk: that is what every later user gets, so hand out the same.
    const bytes = await this.loadVerified(hex);
    if (bytes === undefined) throw new SimedgeError('ARTEFACT_DIGEST_MISMATCH', `sha256:${hex} changed on disk right after it was written`);
    return { path, bytes };
  }

  /** The file's bytes if present and matching its digest; a corrupt file is removed. */
  private async loadVerified(hex: string): Promise<Uint8Array | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.layout.pathOf(hex));
    } catch {
      this.index.delete(hex);
      return undefined;
    }
    if (sha256Hex(bytes) !== hex) {
      await this.drop(hex);
      return undefined;
    }
    if (!this.index.has(hex)) this.index.set(hex, { hex, bytes: bytes.length, lastUsed: this.now() });
    await this.touch(hex);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  private async makeRoom(size: number): Promise<void> {
    if (size > this.quota) throw new SimedgeError('ARTEFACT_QUOTA', `${size} bytes over the whole quota ${this.quota}`);
    const used = async () => {
      let n = 0;
      for (const e of this.index.values()) n += e.bytes;
      for (const p of this.pruners) for (const i of await p.list()) n += i.bytes;
      return n;
    };
    if ((await used()) + size <= this.quota) return;
    await this.serialGc(size);
    const now = await used();
    if (now + size > this.quota) throw new SimedgeError('ARTEFACT_QUOTA', `need ${size} bytes, ${now} of ${this.quota} in use by referenced artefacts and images`);
  }

  /** Record a use: in memory and as the file's mtime (LRU order that survives a restart). */
  private async touch(hex: string): Promise<void> {
    const t = this.now();
    const e = this.index.get(hex);
    if (e) e.lastUsed = t;
    await utimes(this.layout.pathOf(hex), t / 1000, t / 1000).catch(() => undefined);
  }

  private async drop(hex: string): Promise<void> {
    this.index.delete(hex);
    await rm(this.layout.pathOf(hex), { force: true });
  }
}
