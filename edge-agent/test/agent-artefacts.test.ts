// Deploys by artefact reference through the agent: a real aedes broker, the fake core signing real
// orders, a real HTTP server on 127.0.0.1 serving the function's code, the real artefact cache on
// a temp folder and real fn child processes. A reference is fetched once, verified against its
// SHA-256, held while an instance runs it and collected once nothing does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeReady, Fail, ServiceSpec } from '@simedge/device-sdk/wire';
import { agentHarness } from './agent-harness.js';
import { deployOrder, post, removeOrder, uid } from './helpers.js';

const CODE = Buffer.from('function handle(input) { return { doubled: input.n * 2 }; }\n// padding to be more than an inline artefact\n'.repeat(60));
const OTHER = Buffer.from('function handle() { return "other"; }\n');
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const hexOf = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const h = agentHarness({ log: () => {} });
let server: Server;
let base = '';
const hits = new Map<string, number>();
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = path === '/code.js' ? CODE : path === '/other.js' ? OTHER : undefined;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'simedge-agent-art-'));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const byRef = (bytes: Uint8Array, url: string, size = bytes.length): ServiceSpec => ({ n: 'fn', art: { sha256: sha(bytes), size, url }, res: { cpu: 0, mem: 16 } });

/** Every artefact file in a cache folder (`sha256/<ab>/<hex>`). */
async function cached(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const ab of await readdir(join(root, 'sha256')).catch(() => [])) out.push(...(await readdir(join(root, 'sha256', ab))));
  return out.sort();
}

describe('edge agent: deploy by artefact reference [issue 5 "Artefact cache"]', () => {
  it('fetches the referenced code over HTTP, verifies it, runs it, and a second deploy uses the cache', async () => {
    const artDir = join(dir, uid('c'));
    const s = await h.setup({ artefacts: { dir: artDir } });
    const before = hits.get('/code.js') ?? 0;
    const o = deployOrder(s.edge, [byRef(CODE, `${base}/code.js`)]);
    await s.core.send(o);
    const ready = (await s.core.event(o.oid, 'ready')) as EdgeReady;
    expect((await post(ready.svc[0]?.ep ?? '', '{"n": 21}')).body).toEqual({ doubled: 42 });
    expect(await cached(artDir)).toEqual([hexOf(CODE)]);
    const o2 = deployOrder(s.edge, [byRef(CODE, `${base}/code.js`)]);
    await s.core.send(o2);
    await s.core.event(o2.oid, 'ready');
    expect((hits.get('/code.js') ?? 0) - before).toBe(1);
  });

  it('a wrong digest fails the deploy with DEPLOY_FAILED naming ARTEFACT_DIGEST_MISMATCH; nothing runs, nothing is cached', async () => {
    const artDir = join(dir, uid('c'));
    const s = await h.setup({ artefacts: { dir: artDir } });
    const o = deployOrder(s.edge, [{ ...byRef(CODE, `${base}/code.js`), art: { sha256: sha(OTHER), size: CODE.length, url: `${base}/code.js` } }]);
    await s.core.send(o);
    const fail = (await s.core.event(o.oid, 'fail')) as Fail;
    expect(fail.code).toBe('DEPLOY_FAILED');
    expect(fail.msg).toMatch(/^ARTEFACT_DIGEST_MISMATCH: http:\/\/127\.0\.0\.1:\d+\/code\.js: got sha256 [0-9a-f]{64}, want [0-9a-f]{64}/);
    expect(s.core.eventsOf(o.oid).map((e) => e.t)).toEqual(['rcvd', 'fail']);
    expect(s.agent.instances()).toEqual([]);
    expect(await cached(artDir)).toEqual([]);
  });

  it('a missing artefact (HTTP 404) and one over the edge limit fail with their cause', async () => {
    const s = await h.setup({ artefacts: { dir: join(dir, uid('c')), maxArtefactBytes: 1024 } });
    const missing = deployOrder(s.edge, [byRef(OTHER, `${base}/nothing.js`)]);
    await s.core.send(missing);
    expect(((await s.core.event(missing.oid, 'fail')) as Fail).msg).toMatch(/^ARTEFACT_FETCH_FAILED: .*HTTP 404/);
    const big = deployOrder(s.edge, [byRef(CODE, `${base}/code.js`)]);
    await s.core.send(big);
    expect(((await s.core.event(big.oid, 'fail')) as Fail).msg).toMatch(/^ARTEFACT_TOO_LARGE: declared size \d+ over the edge limit 1024/);
  });

  it('pre-seeded artefacts deploy without any download', async () => {
    const seedDir = join(dir, uid('seed'));
    await mkdir(seedDir, { recursive: true });
    await writeFile(join(seedDir, 'other.js'), OTHER);
    const s = await h.setup({ artefacts: { dir: join(dir, uid('c')), seedDir } });
    const before = hits.get('/other.js') ?? 0;
    // The URL is unreachable: only the seeded copy can satisfy the digest.
    const o = deployOrder(s.edge, [byRef(OTHER, 'http://127.0.0.1:9/other.js')]);
    await s.core.send(o);
    const ready = (await s.core.event(o.oid, 'ready')) as EdgeReady;
    expect((await post(ready.svc[0]?.ep ?? '', '{}')).body).toBe('other');
    expect(hits.get('/other.js') ?? 0).toBe(before);
  });

  it('holds an artefact while an instance runs it; gc under the quota removes it only once it is removed', async () => {
    const artDir = join(dir, uid('c'));
    // Quota smaller than both artefacts together: the second fetch needs the first gone.
    const quota = CODE.length + OTHER.length - 1;
    const s = await h.setup({ artefacts: { dir: artDir, quotaBytes: quota } });
    const a = deployOrder(s.edge, [byRef(CODE, `${base}/code.js`)]);
    await s.core.send(a);
    await s.core.event(a.oid, 'ready');
    // CODE is held by the running instance: OTHER cannot be made room for.
    const b = deployOrder(s.edge, [byRef(OTHER, `${base}/other.js`)]);
    await s.core.send(b);
    expect(((await s.core.event(b.oid, 'fail')) as Fail).msg).toMatch(/^ARTEFACT_QUOTA: /);
    expect(await cached(artDir)).toEqual([hexOf(CODE)]);
    const r = removeOrder(s.edge, a.pid);
    await s.core.send(r);
    await s.core.event(r.oid, 'removed');
    // Now unreferenced: the next fetch collects it to make room.
    const c = deployOrder(s.edge, [byRef(OTHER, `${base}/other.js`)]);
    await s.core.send(c);
    await s.core.event(c.oid, 'ready');
    expect(await cached(artDir)).toEqual([hexOf(OTHER)]);
  });
});
