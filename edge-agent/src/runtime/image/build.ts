// The `fn` container image, built locally through the Docker Engine API (Docker or Podman's
// compatible socket) with no registry and no network: FROM scratch with this machine's node
// binary, the shared libraries and loader `ldd` lists for it, and fn-host.mjs (which reads its code,
// port and listen address from the environment when it has no IPC channel, and handles SIGTERM as
// PID 1). Builds are cached by content: the tag is a hash of every input, so an unchanged
// node and host reuse the image, and any change (a node upgrade, an fn-host edit) builds a new one.
// The result is pinned by digest (DESIGN.md "images pinned by digest"): runtimes get `ref`, never
// a mutable tag.
// Builds of one input hash are serialised across processes on this host by a lock file in the
// temp directory: two agents (or test files) starting at once would otherwise both build, and the
// second build would move the tag off the first image, whose pinned reference could then stop
// resolving. A lock left by a dead process is taken over.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { tarStream, type TarEntry } from './tar.js';

/** Repository name of the image; the tag is the input hash. */
export const FN_IMAGE_REPO = 'localhost/simedge-fn';
/** The fn host inside the image (its container entry). */
export const FN_ENTRY = '/app/fn-host.mjs';
/** The unprivileged user the function runs as (nobody; FROM scratch has no /etc/passwd). */
export const FN_USER = '65534:65534';

const HOST_FILE = fileURLToPath(new URL('../fn-host.mjs', import.meta.url));

export interface FnImage {
  /** What runtimes run: `repo@sha256:…` where the engine records a repo digest (Podman), else the image id `sha256:…` (Docker keeps repo digests only for pushed images). Both are content addresses. */
  ref: string;
  /** Image id (sha256 of its config). */
  id: string;
  /** The cache tag: FN_IMAGE_REPO:<input hash>. */
  tag: string;
  /** Whether this call built it (false: found in the engine's store). */
  built: boolean;
}

/** A host file that goes into the image at `dest` (absolute path in the image). */
interface Input {
  dest: string;
  source: string;
  mode: number;
}

/** Files `ldd` lists for a binary: resolved libraries and the dynamic loader; none for a static one. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let out: string;
  try {
    out = (await promisify(execFile)('ldd', [binary])).stdout;
  } catch (e) {
    // ldd exits 1 with "not a dynamic executable" for a static binary: nothing to add then.
    const stdout = (e as { stdout?: unknown }).stdout;
    if (typeof stdout === 'string' && /not a dynamic executable/.test(stdout + String((e as { stderr?: unknown }).stderr))) return [];
    throw new SimedgeError('DEPLOY_FAILED', `ldd ${binary} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs].sort();
}

async function inputs(nodeBinary: string): Promise<Input[]> {
  const libs = await sharedLibraries(nodeBinary);
  return [
    { dest: '/usr/bin/node', source: nodeBinary, mode: 0o755 },
    ...libs.map((l) => ({ dest: l, source: l, mode: 0o755 })),
    { dest: FN_ENTRY, source: HOST_FILE, mode: 0o644 },
  ];
}

const BUILD_FILE = [
  'FROM scratch',
  'COPY rootfs/ /',
  `USER ${FN_USER}`,
  'ENTRYPOINT ["/usr/bin/node"]',
  `CMD ["${FN_ENTRY}"]`,
  '',
].join('\n');

/** sha256 over the build file and every input's path, mode and bytes. */
async function inputHash(list: Input[]): Promise<string> {
  const h = createHash('sha256');
  h.update(BUILD_FILE);
  for (const i of list) {
    h.update(`\0${i.dest}\0${i.mode}\0`);
    for await (const c of createReadStream(i.source)) h.update(c as Buffer);
  }
  return h.digest('hex');
}

async function findImage(docker: Docker, tag: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(tag).inspect();
  } catch (e) {
    if ((e as { statusCode?: unknown }).statusCode === 404) return undefined;
    throw e;
  }
}

function pinned(info: Docker.ImageInspectInfo): string {
  const digest = (info.RepoDigests ?? []).find((d) => d.startsWith(`${FN_IMAGE_REPO}@sha256:`));
  return digest ?? info.Id;
}

/** Build stream messages: Docker reports failures as {error}, Podman as {error} or {errorDetail}. */
async function runBuild(docker: Docker, context: NodeJS.ReadableStream, tag: string, hash: string): Promise<void> {
  const stream = await docker.buildImage(context, { t: tag, labels: { 'simedge.inputs': hash }, rm: true, forcerm: true });
  const msgs = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: unknown[]) => (err ? reject(err) : resolve(out as Array<{ error?: string }>)));
  });
  const bad = msgs.find((m) => m.error !== undefined || m.errorDetail !== undefined);
  if (bad) throw new SimedgeError('DEPLOY_FAILED', `fn image build failed: ${bad.error ?? bad.errorDetail?.message ?? 'unknown error'}`);
}

export interface FnImageOptions {
  /** Node binary to ship; default the one running this agent (so the image matches its version). */
  nodeBinary?: string;
}

function aliveProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but is not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds now. */
const held = new Set<string>();

/** How long a build may hold the lock before waiters give up (a build takes seconds). */
const LOCK_WAIT_MS = 5 * 60_000;
const LOCK_POLL_MS = 100;

/**
 * Run `fn` holding the host-wide build lock of `key` (a file created exclusively, holding the
 * owner's pid). Waiters poll it: it is a file on disk, there is nothing to await. A lock whose
 * owner is gone is removed and taken. `onWait` hears every poll that found the lock held.
 */
export async function withBuildLock<T>(key: string, fn: () => Promise<T>, opts: { dir?: string; onWait?: (owner: number) => void } = {}): Promise<T> {
  const dir = opts.dir ?? tmpdir();
  const path = join(dir, `simedge-fn-build-${key}.lock`);
  const giveUpAt = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      held.add(path);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    // An empty file is a lock being written right now; only a named, dead owner is stale (or our
    // own pid on a lock this process does not hold: a dead process's, whose pid we were given).
    const stale = owner === process.pid ? !held.has(path) : !aliveProcess(owner);
    if (Number.isInteger(owner) && owner > 0 && stale) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    opts.onWait?.(owner);
    if (Date.now() >= giveUpAt) throw new SimedgeError('DEPLOY_FAILED', `fn image build lock ${path} held by pid ${Number.isNaN(owner) ? '?' : owner} for over ${LOCK_WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
  try {
    return await fn();
  } finally {
    held.delete(path);
    await unlink(path).catch(() => undefined);
  }
}

/** Find or build the `fn` image for the current inputs and return its pinned reference. */
export async function ensureFnImage(docker: Docker, opts: FnImageOptions = {}): Promise<FnImage> {
  const list = await inputs(opts.nodeBinary ?? process.execPath);
  const hash = await inputHash(list);
  const tag = `${FN_IMAGE_REPO}:${hash.slice(0, 32)}`;
  const found = await findImage(docker, tag);
  if (found) return { ref: pinned(found), id: found.Id, tag, built: false };
  // A second caller, in this process or another, waits on the lock and then finds the image.
  return withBuildLock(hash.slice(0, 32), async (): Promise<FnImage> => {
    // Another process may have built it while this one waited for the lock.
    const meanwhile = await findImage(docker, tag);
    if (meanwhile) return { ref: pinned(meanwhile), id: meanwhile.Id, tag, built: false };
    // The build API reads the build file by the name `Dockerfile` on both engines.
    const entries: TarEntry[] = [{ name: 'Dockerfile', source: Buffer.from(BUILD_FILE), size: Buffer.byteLength(BUILD_FILE), mode: 0o644 }];
    for (const i of list) entries.push({ name: `rootfs${i.dest}`, source: i.source, size: (await stat(i.source)).size, mode: i.mode });
    await runBuild(docker, tarStream(entries), tag, hash);
    const info = await findImage(docker, tag);
    if (!info) throw new SimedgeError('DEPLOY_FAILED', `fn image ${tag} missing right after its build`);
    return { ref: pinned(info), id: info.Id, tag, built: true };
  });
}

