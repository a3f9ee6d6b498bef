// The core daemon as a real child process (`simedge core run --config core.yaml`, through the
// real bin/simedge.mjs and tsx), driven by the `simedge core` admin commands over real HTTP:
// it prints where it listens, serves the admin API and stops with exit code 0 on SIGTERM; started
// again (in-process, serveCore) from the same config it finds its SQLite file as it left it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main, writeKeyPair } from '@simedge/device-sdk/tools';
import { loadCoreConfig } from '../src/daemon-config.js';
import { serveCore } from '../src/daemon.js';
import { silentLogger } from '../src/log.js';
import { spawnReady, type ReadyChild } from '../../test/support/processes.js';

const BIN = fileURLToPath(new URL('../../bin/simedge.mjs', import.meta.url));
const TOKEN = 'daemon-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'simedge-daemon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Daemon extends ReadyChild { admin: string; broker: string }
let running: Daemon | undefined;
afterEach(() => {
  if (running && running.proc.exitCode === null) running.proc.kill('SIGKILL');
  running = undefined;
});

/** Start the daemon and wait (bounded) for its "ready" line. */
async function startDaemon(config: string): Promise<Daemon> {
  const d = await spawnReady(process.execPath, [BIN, 'core', 'run', '--config', config], { cwd: dir, env: { ...process.env, SIMEDGE_LOG_LEVEL: 'warn' }, guardMs: 20_000, name: 'core daemon' });
  running = Object.assign(d, { admin: d.field('admin'), broker: d.field('broker') });
  return running;
}

/** Run `simedge core ...` in-process (the same command tree the binary loads). */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['core', ...args], { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: dir });
  return { code, out, err };
}

describe('simedge core run', () => {
  it('starts from a YAML config, serves the admin commands, keeps its database across a restart, exits 0 on SIGTERM', async () => {
    const pair = writeKeyPair(join(dir, 'core.key.json'), 'core-1');
    const acme = writeKeyPair(join(dir, 'acme.key.json'), 'acme-2026');
    const config = join(dir, 'core.yaml');
    writeFileSync(config, [
      'coreKeyFile: core.key.json',
      'database: core.db',
      'broker: { embedded: { port: 0 } }',
      `admin: { port: 0, token: ${TOKEN} }`,
      'radius: { port: 0, secret: testing123 }',
      'placement: { cells: { 01A2D101: edge-a } }',
      'plans: { gold: { maxProvisions: 2 } }',
    ].join('\n'));
    expect(pair.kid).toBe('core-1');

    const d = await startDaemon(config);
    expect(d.admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const auth = ['--admin', d.admin, '--token', TOKEN];

    writeFileSync(join(dir, 'sims.csv'), 'imsi,iccid,plan\n240011234000001,89460112340000010,gold\n240011234000002,89460112340000028,\n');
    expect(await cli(['sims', 'import', 'sims.csv', ...auth])).toMatchObject({ code: 0, out: 'imported 2 SIMs\n' });

    writeFileSync(join(dir, 'bad.csv'), '240011234000003,89460112340000036\n24001123400000X,89460112340000044\n');
    const bad = await cli(['sims', 'import', 'bad.csv', ...auth]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/ADMIN_CSV_INVALID.*row 2: imsi must be/);
    expect((await cli(['sims', 'show', '240011234000003', ...auth])).err).toMatch(/ADMIN_NOT_FOUND/);

    const added = await cli(['keys', 'add', '--key', 'acme.key.json', '--mfr', 'acme', '--classes', 'acme/thermo-nb1', ...auth]);
    expect(added).toMatchObject({ code: 0 });
    expect(added.out).toMatch(/^added acme-2026 {2}acme {2}valid {2}classes acme\/thermo-nb1/);
    const shown = JSON.parse((await cli(['keys', 'show', acme.kid, ...auth])).out) as { publicKey: { x: string; d?: string } };
    expect(shown.publicKey.x).toBe(Buffer.from(acme.publicKey).toString('base64url'));
    expect(shown.publicKey.d).toBeUndefined(); // only the public half left the machine
    expect(await cli(['keys', 'revoke', acme.kid, ...auth])).toMatchObject({ code: 0, out: 'revoked acme-2026\n' });

    expect(await cli(['sims', 'status', '240011234000002', 'suspended', ...auth])).toMatchObject({ code: 0 });
    const denied = await cli(['edges', '--admin', d.admin, '--token', 'wrong-token-0123456789']);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^simedge: ADMIN_UNAUTHORIZED/);
    expect(await cli(['provisions', 'list', ...auth])).toMatchObject({ code: 0, out: '' });
    expect(await cli(['edges', ...auth])).toMatchObject({ code: 0, out: '' });
    expect(await cli(['charging', '--csv', ...auth])).toMatchObject({ code: 0, out: 'imsi,pid,service,edge,start,stop,seconds\r\n' });
    expect(JSON.parse((await cli(['sims', 'show', '240011234000001', ...auth])).out)).toMatchObject({ iccid: '89460112340000010', plan: { maxProvisions: 2 } });

    d.proc.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    expect(d.stderr()).toMatch(/simedge core: stopped/);

    // same config, same file, in-process this time (serveCore with an abort signal): the SIMs
    // and the revocation are still there
    const stop = new AbortController();
    let printed = '';
    let ready!: () => void;
    const isReady = new Promise<void>((r) => { ready = r; });
    const served = serveCore(loadCoreConfig(config), { out: (t) => { printed += t; if (printed.includes('ready\n')) ready(); }, err: () => {}, signal: stop.signal }, { log: silentLogger });
    await isReady;
    const admin2 = /^admin (\S+)$/m.exec(printed)?.[1] as string;
    const sim = JSON.parse((await cli(['sims', 'show', '240011234000002', '--admin', admin2, '--token', TOKEN])).out) as { status: string };
    expect(sim.status).toBe('suspended');
    expect(JSON.parse((await cli(['keys', 'show', acme.kid, '--admin', admin2, '--token', TOKEN])).out)).toMatchObject({ revoked: true });
    stop.abort();
    expect(await served).toBe(0);
  });

  it('exit codes: 1 for a bad config, a refused token or no API; 2 for usage; 0 for help', async () => {
    const cfg = join(dir, 'broken.yaml');
    writeFileSync(cfg, 'coreKeyFile: core.key.json\nadmin: { token: short }\n');
    const broken = await cli(['run', '--config', cfg]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/CONFIG_INVALID.*admin\.token/);
    expect((await cli(['run'])).code).toBe(2);
    expect((await cli(['sims', 'show', '240011234000001', '--admin', 'http://127.0.0.1:1', '--token', TOKEN])).err).toMatch(/ADMIN_UNREACHABLE/);
    delete process.env.SIMEDGE_ADMIN_TOKEN; // the token must come from somewhere
    const noToken = await cli(['edges', '--admin', 'http://127.0.0.1:1']);
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/--token \(or SIMEDGE_ADMIN_TOKEN\) is required/);
    expect((await cli(['sims', 'status', '240011234000001', 'paused', '--token', TOKEN])).code).toBe(2);
    const help = await cli(['keys', 'add', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--not-after <time>/);
    expect((await cli(['--help'])).out).toMatch(/provisions {2}provisions \(operation records\)/);
  });
});
