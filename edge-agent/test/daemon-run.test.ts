// The edge daemon as a real child process (`simedge edge run --config edge.yaml`, through the real
// bin/simedge.mjs and tsx) against a real embedded broker: it prints where it connected and
// listens then "ready", publishes its retained online status (read back with `simedge edge
// status`), applies a deploy order signed with the core key named in its config and answers
// rcvd + ready, drops an order signed by another key, and on SIGTERM exits 0 with its status
// offline. Started again from the same config it finds its state: the instance is back and a
// redelivered order is answered from the journal. A second daemon on the same state folder is
// refused while the first runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { main, writeKeyPair, type WrittenKeyPair } from '@simedge/device-sdk/tools';
import { loadEdgeConfig } from '../src/daemon-config.js';
import { serveEdge, silentLog } from '../src/daemon.js';
import { deployOrder, FakeCore, fnService, post, uid } from './helpers.js';
import { spawnReady, type ReadyChild } from '../../test/support/processes.js';

const BIN = fileURLToPath(new URL('../../bin/simedge.mjs', import.meta.url));
const READY_GUARD_MS = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'simedge-edge-daemon-'));
let broker: EmbeddedBroker;
let coreKey: WrittenKeyPair;
let rogueKey: WrittenKeyPair;
const cores: FakeCore[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  coreKey = writeKeyPair(join(dir, 'core.key.json'), 'core-1');
  rogueKey = writeKeyPair(join(dir, 'rogue.key.json'), 'core-1'); // same kid, another key
});
afterAll(async () => {
  await Promise.all(cores.map((c) => c.close()));
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const children: ReadyChild[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
});

/** Start the daemon and wait (bounded) for its "ready" line. */
async function startDaemon(config: string): Promise<ReadyChild> {
  const d = await spawnReady(process.execPath, [BIN, 'edge', 'run', '--config', config], { cwd: dir, env: { ...process.env, SIMEDGE_LOG_LEVEL: 'warn' }, guardMs: READY_GUARD_MS, name: 'edge daemon' });
  children.push(d);
  return d;
}

const field = (d: ReadyChild, k: string): string => d.field(k);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: dir });
  return { code, out, err };
}

describe('simedge edge run', () => {
  it('runs from a YAML config: online status, signed deploy -> rcvd + ready, foreign key dropped, SIGTERM -> 0 and offline; restart finds its state', async () => {
    const edge = uid('edge');
    const config = join(dir, `${edge}.yaml`);
    writeFileSync(config, [
      `id: ${edge}`,
      `broker: { url: "${broker.url}" }`,
      'coreKeys: [ { publicKeyFile: core.pub.json } ]',
      'cells: ["01A2D101"]',
      'capacity: { cpu: 2, mem: 512 }',
      'metrics: { port: 0 }',
    ].join('\n'));
    const core = await FakeCore.connect(broker.url, edge);
    cores.push(core);

    const d = await startDaemon(config);
    expect(field(d, 'broker')).toBe(broker.url);
    expect(field(d, 'state')).toBe(join(dir, 'state')); // the default: beside the config
    expect(field(d, 'metrics')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await core.status((s) => s.online && s.cells.includes('01A2D101'));
    const status = await cli(['edge', 'status', edge, '--broker', broker.url, '--json']);
    expect(status.code, status.err).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ edge, online: true, cap: { cpu: 2, mem: 512 } });

    // [RFC9052 §4.4] the same kid with another key: the signature fails, the order is dropped
    // without an answer. The good order after it on the same topic is handled after it, so once
    // that one is answered the forged one has been seen.
    const forged = deployOrder(edge, [fnService('function handle() { return "forged"; }')]);
    await core.publish(core.sign(forged, rogueKey.seed, 'core-1'));
    const order = deployOrder(edge, [fnService('function handle(x) { return { twice: x.n * 2 }; }')]);
    const signed = core.sign(order, coreKey.seed, 'core-1');
    await core.publish(signed);
    await core.event(order.oid, 'rcvd');
    const ready = await core.event(order.oid, 'ready');
    expect(core.eventsOf(forged.oid)).toEqual([]);
    const ep = ready.t === 'ready' ? (ready.svc[0]?.ep ?? '') : '';
    expect(await post(ep, '{"n":21}')).toEqual({ status: 200, body: { twice: 42 } });
    await core.status((s) => s.online && s.inst === 1);
    const metrics = await (await fetch(field(d, 'metrics'))).text();
    expect(metrics).toMatch(/simedge_edge_orders_total\{[^}]*result="dropped"[^}]*\} 1/);
    expect(d.stderr()).toMatch(/"level":"warn".*order dropped/);

    // One agent per state folder: a second daemon on the same config is refused (exit 1).
    let refused = '';
    expect(await serveEdge(loadEdgeConfig(config), { out: () => {}, err: (t) => { refused += t; } }, { log: silentLog })).toBe(1);
    expect(refused).toMatch(/CONFIG_INVALID.*stateDir: .* is in use by another running edge agent \(pid \d+\)/);

    d.proc.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    expect(d.stderr()).toMatch(/simedge edge: stopped/);
    const offline = await core.status((s) => !s.online);
    expect(offline.inst).toBe(0);

    // Same config again: the desired state is in stateDir, so the instance comes back and a
    // redelivered order is answered from the journal, not applied twice.
    const mark = core.statuses.length;
    const d2 = await startDaemon(config);
    await core.until('online again with the instance back', () => core.statuses.slice(mark).find((s) => s.online && s.inst === 1));
    const before = core.eventsOf(order.oid).length;
    await core.publish(signed);
    await core.until('replayed answers', () => (core.eventsOf(order.oid).length >= before + 2 ? true : undefined));
    expect(core.eventsOf(order.oid).slice(before).map((e) => e.t)).toEqual(['rcvd', 'ready']);
    const again = [...core.eventsOf(order.oid)].reverse().find((e) => e.t === 'ready');
    expect(await post(again?.t === 'ready' ? (again.svc[0]?.ep ?? '') : '', '{"n":2}')).toEqual({ status: 200, body: { twice: 4 } });
    d2.proc.kill('SIGTERM');
    expect(await d2.exit).toBe(0);
  }, 30_000);

  it('exit codes: 1 with the field for a bad config, 2 without --config, 0 for --help', async () => {
    const cfg = join(dir, 'broken.yaml');
    writeFileSync(cfg, `id: edge-x\nbroker: { url: "${broker.url}" }\ncoreKeys: [ { publicKeyFile: core.key.json } ]\n`);
    const broken = await cli(['edge', 'run', '--config', cfg]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/CONFIG_INVALID.*coreKeys\[0\]\.publicKeyFile: .*holds a private key/);
    const missing = await cli(['edge', 'run', '--config', 'nope.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/INPUT_UNREADABLE.*nope\.yaml/);
    expect((await cli(['edge', 'run'])).code).toBe(2);

    // Start-up failures are the operator's to fix: exit 1 with the code, the state lock released
    // (the second attempt fails the same way, not with "in use").
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    writeFileSync(cfg, `id: edge-x\nbroker: { url: "mqtt://127.0.0.1:${port}" }\ncoreKeys: [ { publicKeyFile: core.pub.json } ]\nstateDir: state-x\n`);
    for (let i = 0; i < 2; i++) {
      const down = await cli(['edge', 'run', '--config', cfg]);
      expect(down.code).toBe(1);
      expect(down.err).toMatch(/TRANSPORT.*broker mqtt:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    }
    writeFileSync(cfg, `id: edge-x\nbroker: { url: "${broker.url}" }\ncoreKeys: [ { publicKeyFile: core.pub.json } ]\nstateDir: state-x\nruntime: oci\noci: { socketPath: no-engine.sock }\n`);
    const noEngine = await cli(['edge', 'run', '--config', cfg]);
    expect(noEngine.code).toBe(1);
    expect(noEngine.err).toMatch(/CONFIG_INVALID.*oci\.socketPath: cannot reach the container engine at .*no-engine\.sock/);
    const help = await cli(['edge', 'run', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Example \(edge\.yaml\):/);
  });
});
