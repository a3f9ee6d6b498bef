// The artefact cache against a real HTTP server on 127.0.0.1 that serves good, truncated,
// oversized, wrong-digest, slow and missing bodies, on a real temp directory.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSimedgeError, type ArtefactRef } from '@simedge/device-sdk/wire';
import { ArtefactCache, type ArtefactCacheOptions, type ImagePruner } from '../src/artefacts/index.js';

const GOOD = Buffer.from('function handle(input) { return input.n * 2; }\n'.repeat(50));
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const hexOf = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let server: Server;
let base = '';
const hits = new Map<string, number>();
const sockets = new Set<Socket>();
/** Resolved when the client closed an /endless response (it stopped reading). */
let endlessClosed: Promise<number> = Promise.resolve(0);
let markEndlessClosed: (sent: number) => void = () => {};

function endless(res: ServerResponse): void {
  let sent = 0;
  endlessClosed = new Promise((r) => (markEndlessClosed = r));
  const chunk = Buffer.alloc(64 * 1024, 1);
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) sent += chunk.length;
  };
  res.on('drain', pump);
  res.on('close', () => markEndlessClosed(sent));
  res.writeHead(200);
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    switch (path) {
      case '/good':
        res.writeHead(200, { 'content-length': GOOD.length }).end(GOOD);
        break;
      case '/truncated':
        // Promises the full length, sends half, then drops the connection.
        res.writeHead(200, { 'content-length': GOOD.length });
        res.write(GOOD.subarray(0, GOOD.length / 2), () => res.destroy());
        break;
      case '/short':
        // A complete response that is simply shorter than the declared size.
        res.writeHead(200).end(GOOD.subarray(0, 10));
        break;
      case '/endless':
        endless(res);
        break;
      case '/big-length':
        res.writeHead(200, { 'content-length': 10 * GOOD.length });
        res.write(GOOD);
        break;
      case '/wrong':
        res.writeHead(200).end(Buffer.alloc(GOOD.length, 0x41));
        break;
      case '/slow':
        // Headers and a few bytes, then nothing: only the client's deadline ends this.
        res.writeHead(200, { 'content-length': GOOD.length });
        res.write(GOOD.subarray(0, 5));
        break;
      default:
        res.writeHead(404).end('no');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

const dirs: string[] = [];
afterEach(async () => {
  hits.clear();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function cache(over: Partial<ArtefactCacheOptions> = {}): Promise<{ c: ArtefactCache; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'simedge-art-'));
  dirs.push(dir);
  return { c: new ArtefactCache({ dir, quotaBytes: 1 << 20, maxArtefactBytes: 64 * 1024, fetchTimeoutMs: 2000, ...over }), dir };
}

const ref = (path: string, bytes: Uint8Array = GOOD, size = bytes.length): ArtefactRef => ({ sha256: sha(bytes), size, url: `${base}${path}` });

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  return isSimedgeError(e) ? e.code : `not a SimedgeError: ${String(e)}`;
}

/** Every file under sha256/ (what carries a digest name) and tmp/. */
async function files(dir: string): Promise<{ objects: string[]; tmp: string[] }> {
  const objects = (await readdir(join(dir, 'sha256'), { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  return { objects, tmp: await readdir(join(dir, 'tmp')) };
}

describe('artefact cache: download', () => {
  it('fetches once, stores under sha256/<ab>/<hex> read-only, and serves later calls from disk', async () => {
    const { c, dir } = await cache();
    const got = await c.ensure(ref('/good'));
    const hex = hexOf(GOOD);
    expect(got.path).toBe(join(dir, 'sha256', hex.slice(0, 2), hex));
    expect(Buffer.from(got.bytes).equals(GOOD)).toBe(true);
    expect(await readFile(got.path)).toEqual(GOOD);
    const again = await c.ensure(ref('/good'));
    expect(Buffer.from(again.bytes).equals(GOOD)).toBe(true);
    expect(hits.get('/good')).toBe(1);
    expect(await c.usage()).toMatchObject({ bytes: GOOD.length, count: 1 });
  });

  it('concurrent ensure() of one digest downloads once', async () => {
    const { c } = await cache();
    const all = await Promise.all(Array.from({ length: 8 }, () => c.ensure(ref('/good'))));
    expect(all.every((r) => Buffer.from(r.bytes).equals(GOOD))).toBe(true);
    expect(hits.get('/good')).toBe(1);
  });

  it('a body cut off mid-way is ARTEFACT_FETCH_FAILED and leaves no file, half or whole', async () => {
    const { c, dir } = await cache();
    expect(await code(c.ensure(ref('/truncated')))).toBe('ARTEFACT_FETCH_FAILED');
    expect(await code(c.ensure(ref('/short')))).toBe('ARTEFACT_FETCH_FAILED');
    expect(await files(dir)).toEqual({ objects: [], tmp: [] });
  });

  it('a body longer than declared is ARTEFACT_TOO_LARGE as soon as it passes the size (the transfer is cut)', async () => {
    const { c, dir } = await cache();
    expect(await code(c.ensure(ref('/endless')))).toBe('ARTEFACT_TOO_LARGE');
    // The body never ends: the test only finishes because the client cut the connection. What
    // the server got rid of is bounded by the socket buffers, not by the body.
    const sent = await endlessClosed;
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    expect(await files(dir)).toEqual({ objects: [], tmp: [] });
  });

  it('a Content-Length over the declared size is refused before the body is read', async () => {
    const { c } = await cache();
    expect(await code(c.ensure(ref('/big-length')))).toBe('ARTEFACT_TOO_LARGE');
  });

  it('a declared size over maxArtefactBytes is refused without any request', async () => {
    const { c } = await cache({ maxArtefactBytes: 100 });
    expect(await code(c.ensure(ref('/good')))).toBe('ARTEFACT_TOO_LARGE');
    expect(hits.size).toBe(0);
  });

  it('bytes that do not match the digest are ARTEFACT_DIGEST_MISMATCH and never stored', async () => {
    const { c, dir } = await cache();
    const e = await c.ensure(ref('/wrong')).catch((x: unknown) => x);
    expect(isSimedgeError(e) && e.code).toBe('ARTEFACT_DIGEST_MISMATCH');
    expect(String((e as Error).message)).toContain(hexOf(GOOD));
    expect(await files(dir)).toEqual({ objects: [], tmp: [] });
  });

  it('a server that stalls is cut off at the download deadline (ARTEFACT_FETCH_FAILED)', async () => {
    const { c, dir } = await cache({ fetchTimeoutMs: 200 });
    const e = await c.ensure(ref('/slow')).catch((x: unknown) => x);
    expect(isSimedgeError(e) && e.code).toBe('ARTEFACT_FETCH_FAILED');
    expect(String((e as Error).message)).toMatch(/within 200 ms/);
    expect(await files(dir)).toEqual({ objects: [], tmp: [] });
  });

  it('HTTP errors and non-http(s) URLs are ARTEFACT_FETCH_FAILED', async () => {
    const { c } = await cache();
    expect(await code(c.ensure(ref('/missing')))).toBe('ARTEFACT_FETCH_FAILED');
    expect(await code(c.ensure({ ...ref('/good'), url: 'file:///etc/passwd' }))).toBe('ARTEFACT_FETCH_FAILED');
    expect(await code(c.ensure({ ...ref('/good'), url: 'http://127.0.0.1:1/' }))).toBe('ARTEFACT_FETCH_FAILED');
  });

  it('wrong arguments are RangeErrors (digest length, size)', async () => {
    const { c } = await cache();
    await expect(c.ensure({ sha256: new Uint8Array(31), size: 1, url: `${base}/good` })).rejects.toBeInstanceOf(RangeError);
    await expect(c.ensure({ ...ref('/good'), size: 0 })).rejects.toBeInstanceOf(RangeError);
    expect(() => c.ref('xyz', 'i1')).toThrow(RangeError);
  });

  it('a corrupt file on disk is removed and fetched again', async () => {
    const { c } = await cache();
    const { path } = await c.ensure(ref('/good'));
    await chmod(path, 0o644);
    await writeFile(path, 'tampered');
    const again = await c.ensure(ref('/good'));
    expect(Buffer.from(again.bytes).equals(GOOD)).toBe(true);
    expect(hits.get('/good')).toBe(2);
    expect(await readFile(path)).toEqual(GOOD);
  });
});

describe('artefact cache: pre-seeding and restart', () => {
  it('put() and seed() store by digest; ensure() then needs no network', async () => {
    const { c } = await cache();
    const a = Buffer.from('function handle() { return "a"; }');
    expect(await c.put(a)).toBe(hexOf(a));
    const seedDir = await mkdtemp(join(tmpdir(), 'simedge-seed-'));
    dirs.push(seedDir);
    await writeFile(join(seedDir, 'one.js'), 'function handle() { return 1; }');
    await writeFile(join(seedDir, 'two.js'), 'function handle() { return 2; }');
    await mkdir(join(seedDir, 'sub'));
    const seeded = await c.seed(seedDir);
    expect(seeded).toEqual([hexOf(Buffer.from('function handle() { return 1; }')), hexOf(Buffer.from('function handle() { return 2; }'))]);
    const got = await c.ensure({ sha256: sha(a), size: a.length, url: `${base}/nowhere` });
    expect(Buffer.from(got.bytes).equals(a)).toBe(true);
    expect(hits.size).toBe(0);
    expect((await c.usage()).count).toBe(3);
  });

  it('put() refuses more than maxArtefactBytes with ARTEFACT_TOO_LARGE', async () => {
    const { c } = await cache({ maxArtefactBytes: 10 });
    expect(await code(c.put(new Uint8Array(11)))).toBe('ARTEFACT_TOO_LARGE');
  });

  it('a new cache on the same folder finds what is there and drops temp files a crash left', async () => {
    const { c, dir } = await cache();
    await c.ensure(ref('/good'));
    await writeFile(join(dir, 'tmp', 'deadbeef.part'), 'half a download');
    const c2 = new ArtefactCache({ dir, quotaBytes: 1 << 20, maxArtefactBytes: 64 * 1024 });
    expect(await c2.usage()).toMatchObject({ count: 1, bytes: GOOD.length });
    expect((await files(dir)).tmp).toEqual([]);
    await c2.ensure(ref('/good'));
    expect(hits.get('/good')).toBe(1);
  });
});

describe('artefact cache: garbage collection under the quota', () => {
  // A fake clock: each use gets a distinct, increasing time, so LRU order is exact.
  function clock(): () => number {
    let t = 1_700_000_000_000;
    return () => (t += 1000);
  }
  const blob = (fill: number) => Buffer.alloc(40, fill);

  it('removes unreferenced artefacts, least recently used first (order kept on disk), only until under the quota', async () => {
    const now = clock();
    const { c, dir } = await cache({ quotaBytes: 1000, now });
    const [a, b, d] = [await c.put(blob(1)), await c.put(blob(2)), await c.put(blob(3))];
    await c.put(blob(2)); // b used again: d is now the least recently used
    // The operator restarts the agent with a smaller quota: LRU order comes back from the files.
    const small = new ArtefactCache({ dir, quotaBytes: 100, maxArtefactBytes: 1000, now });
    small.ref(a, 'inst-1'); // oldest, but referenced
    expect(await small.usage()).toMatchObject({ bytes: 120, count: 3, referenced: 1 });
    expect(await small.gc()).toEqual({ removed: [`sha256:${d}`], freedBytes: 40 });
    expect(await small.usage()).toMatchObject({ bytes: 80, count: 2 });
    // Under the quota: nothing more goes, not even unreferenced b.
    expect(await small.gc()).toEqual({ removed: [], freedBytes: 0 });
    expect((await files(dir)).objects.sort()).toEqual([a, b].sort());
  });

  it('makes room on ensure()/put() by gc, and fails with ARTEFACT_QUOTA when all is referenced', async () => {
    const { c } = await cache({ quotaBytes: 100, now: clock() });
    const a = await c.put(blob(1));
    const b = await c.put(blob(2));
    c.ref(b, 'inst-2');
    await c.put(blob(3)); // needs 40 more: a (unreferenced) goes
    expect((await c.usage()).count).toBe(2);
    expect(c.isReferenced(a)).toBe(false);
    c.ref(hexOf(blob(3)), 'inst-3');
    expect(await code(c.put(blob(4)))).toBe('ARTEFACT_QUOTA');
    expect(await code(c.put(Buffer.alloc(101)))).toBe('ARTEFACT_QUOTA');
    c.unref(b, 'inst-2');
    await c.put(blob(4));
    expect(await c.usage()).toMatchObject({ count: 2, referenced: 1 });
  });

  it('counts images from registered pruners and removes unused ones in LRU order with the artefacts', async () => {
    // The pruner is the interface the OCI runtime implements; an in-memory one stands in here
    // because the cache only sees that interface.
    const images = new Map([
      ['img-old', { id: 'img-old', bytes: 50, inUse: false, lastUsed: 1 }],
      ['img-live', { id: 'img-live', bytes: 50, inUse: true, lastUsed: 2 }],
    ]);
    const pruner: ImagePruner = {
      list: async () => [...images.values()],
      remove: async (id) => void images.delete(id),
    };
    const { c } = await cache({ quotaBytes: 150, now: clock() });
    c.addImagePruner(pruner);
    const a = await c.put(blob(1)); // 140 in use
    const r = await c.put(blob(2)).then(() => undefined, (e: unknown) => e); // needs 180: the old image goes
    expect(r).toBeUndefined();
    expect([...images.keys()]).toEqual(['img-live']);
    expect(await c.gc()).toEqual({ removed: [], freedBytes: 0 });
    expect((await c.usage()).count).toBe(2);
    expect(a).toBe(hexOf(blob(1)));
  });
});
