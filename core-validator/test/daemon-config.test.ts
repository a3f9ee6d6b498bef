// The daemon's pure parts: the config file checks (every mistake is CONFIG_INVALID naming the
// field, paths relative to the file) and the JSON-lines logger it installs (pino behind Logger).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig, DEFAULT_ADMIN_PORT, loadCoreConfig } from '../src/daemon-config.js';
import { createLogger, jsonLogger, levelFromEnv } from '../src/log.js';
import { detailOf } from '../../test/support/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'tok-0123456789abcdef';

function configError(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  return detailOf('CONFIG_INVALID', () => checkConfig(raw, dir, env));
}

describe('core config', () => {
  it('shared (scale-out) needs an external broker and PostgreSQL; a group name is checked', () => {
    const base = { coreKeyFile: 'k.json', admin: { token: TOKEN }, broker: { url: 'mqtt://127.0.0.1:1883' }, database: 'postgres://u@127.0.0.1/db' };
    expect(checkConfig({ ...base, shared: true, leaseMs: 1500 }, dir, {})).toMatchObject({ shared: true, leaseMs: 1500 });
    expect(checkConfig({ ...base, shared: 'core-eu' }, dir, {}).shared).toBe('core-eu');
    expect(configError({ ...base, shared: 'a/b' })).toMatch(/^shared: /);
    expect(configError({ ...base, broker: undefined, shared: true })).toMatch(/^shared: .*broker\.url/);
    expect(configError({ ...base, database: 'sqlite::memory:', shared: true })).toMatch(/^shared: .*postgres/);
    expect(configError({ ...base, shared: true, leaseMs: 0 })).toMatch(/^leaseMs: /);
    expect(checkConfig({ ...base, database: 'sqlite::memory:', shared: false }, dir, {}).shared).toBe(false);
  });

  it('reads YAML with defaults: embedded broker, in-memory SQLite, admin on loopback:8620; paths beside the file', () => {
    writeFileSync(join(dir, 'radius.secret'), 's3cret\n');
    const file = join(dir, 'core.yaml');
    writeFileSync(file, [
      'coreKeyFile: keys/core.key.json',
      'database: core.db',
      `admin: { token: ${TOKEN} }`,
      'radius: { secretFile: radius.secret, port: 0 }',
      'placement:',
      '  cells: { 01A2D101: edge-a }',
      '  costs: [ { loc: 01A2D101, edge: edge-b, cost: 5 } ]',
      'plans: { gold: { maxProvisions: 3 } }',
      'policy: { requireSimProof: true }',
      'log: { level: debug }',
      'retry: { baseMs: 500, maxMs: 4000 }',
    ].join('\n'));
    const c = loadCoreConfig(file, {});
    expect(c).toMatchObject({
      broker: { embedded: {} }, database: join(dir, 'core.db'), coreKeyFile: join(dir, 'keys/core.key.json'),
      admin: { token: TOKEN, port: DEFAULT_ADMIN_PORT, host: '127.0.0.1' }, radius: { secret: 's3cret', port: 0 },
      placement: { cells: { '01A2D101': 'edge-a' }, costs: [{ loc: '01A2D101', edge: 'edge-b', cost: 5 }] },
      plans: { gold: { maxProvisions: 3 } }, policy: { requireSimProof: true }, log: { level: 'debug' },
      retry: { baseMs: 500, maxMs: 4000 },
    });
    expect(checkConfig({ coreKeyFile: 'k.json' }, dir, { SIMEDGE_ADMIN_TOKEN: TOKEN }).database).toBe('sqlite::memory:');
  });

  it.each([
    [{}, /coreKeyFile/],
    [{ coreKeyFile: 'k' }, /admin.token: required/],
    [{ coreKeyFile: 'k', admin: { token: 'short' } }, /admin.token: at least 16/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN, port: 70000 } }, /admin.port/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, brokr: {} }, /config.brokr: unknown field/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, broker: { url: 'http://x' } }, /broker.url/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, radius: { port: 1813 } }, /radius.secret/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, placement: { cells: { c1: 'not an edge id!' } } }, /placement.cells.c1/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, policy: { leaseSec: -1 } }, /^policy:/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, plans: { x: { maxProvisions: -1 } } }, /plans.x/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, plans: { y: 5 } }, /plans.y/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, policy: { requireSimProf: true } }, /^policy: .*unknown field "requireSimProf"/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, policy: { requireSimProof: 'yes' } }, /^policy: .*true or false/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, plans: { p: { maxProvision: 2 } } }, /plans.p.*unknown field "maxProvision"/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, log: { level: 'loud' } }, /log.level/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, retry: { baseMs: 2000, maxMs: 1000 } }, /^retry: .*at least retry.baseMs/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, retry: { base: 1 } }, /retry.base: unknown field/],
    [{ coreKeyFile: 'k', admin: { token: TOKEN }, broker: { url: 'mqtt://h:1883' }, attestation: 'network' }, /embedded broker/],
  ])('refuses %j', (raw, why) => {
    expect(configError(raw)).toMatch(why);
  });

  it('a file that is not YAML, or is missing, fails with a stable code', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'admin: [unclosed');
    expect(() => loadCoreConfig(file, {})).toThrow(/CONFIG_INVALID/);
    expect(() => loadCoreConfig(join(dir, 'missing.yaml'), {})).toThrow(/INPUT_UNREADABLE/);
  });
});

describe('JSON-lines logging (pino)', () => {
  const capture = (): { lines: Record<string, unknown>[]; write(s: string): void } => {
    const lines: Record<string, unknown>[] = [];
    return { lines, write: (s: string) => void lines.push(...s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)) };
  };

  it('writes time, level name, name, msg and the context fields; drops records below the level', () => {
    const out = capture();
    const log = createLogger({ level: 'info', out, name: 'core' });
    log('debug', 'hidden');
    log('info', 'deploy order', { imsi: '240011234000001', pid: 'p1', oid: 'o1', edge: 'edge-a', code: undefined });
    log('error', 'handler failed', { msg: 'field named msg', code: 'TIMEOUT' });
    expect(out.lines).toHaveLength(2);
    expect(out.lines[0]).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), name: 'core', msg: 'deploy order', imsi: '240011234000001', pid: 'p1', oid: 'o1', edge: 'edge-a' });
    // a context field cannot overwrite the record's own msg
    expect(out.lines[1]).toMatchObject({ level: 'error', msg: 'handler failed', fieldMsg: 'field named msg', code: 'TIMEOUT' });
  });

  it('jsonLogger keeps its old signature; the level comes from SIMEDGE_LOG_LEVEL when set', () => {
    const out = capture();
    jsonLogger('warn', out, 'radius')('info', 'no');
    jsonLogger('warn', out, 'radius')('warn', 'yes');
    expect(out.lines).toEqual([expect.objectContaining({ name: 'radius', level: 'warn', msg: 'yes' })]);
    expect(levelFromEnv({ SIMEDGE_LOG_LEVEL: 'debug' })).toBe('debug');
    expect(levelFromEnv({})).toBeUndefined();
    expect(() => levelFromEnv({ SIMEDGE_LOG_LEVEL: 'verbose' })).toThrow(RangeError);
  });
});
