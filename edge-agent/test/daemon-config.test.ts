// The edge daemon's config checks (daemon-config.ts): every mistake is CONFIG_INVALID naming the
// field, paths are taken from the config file's folder, the defaults are a daemon's (state on
// disk beside the config, never in memory), unknown fields are refused; and the options the
// daemon builds the EdgeAgent with (daemon.ts edgeOptions).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '@simedge/device-sdk/tools';
import { checkConfig, loadEdgeConfig } from '../src/daemon-config.js';
import { edgeOptions, jsonLog, silentLog } from '../src/daemon.js';
import { detailOf } from '../../test/support/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'simedge-edge-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const core = writeKeyPair(join(dir, 'core.key.json'), 'core-1');
const HEX = Buffer.from(core.publicKey).toString('hex');
const BASE = { id: 'edge-a', broker: { url: 'mqtt://127.0.0.1:1883' }, coreKeys: [{ publicKeyFile: 'core.pub.json' }] };

function configError(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  return detailOf('CONFIG_INVALID', () => checkConfig(raw, dir, env));
}

describe('edge config', () => {
  it('reads YAML with the defaults of a daemon: state beside the file, process runtime, loopback, info', () => {
    const file = join(dir, 'edge.yaml');
    writeFileSync(file, ['id: edge-a', 'broker: { url: "mqtt://127.0.0.1:1883" }', 'coreKeys: [ { publicKeyFile: core.pub.json } ]'].join('\n'));
    const c = loadEdgeConfig(file, {});
    expect(c).toEqual({
      id: 'edge-a', broker: { url: 'mqtt://127.0.0.1:1883' }, coreKeys: [{ kid: 'core-1', publicKey: core.publicKey }],
      cells: [], capacity: { cpu: 2, mem: 1024 }, host: '127.0.0.1', stateDir: join(dir, 'state'), runtime: 'process',
      artefacts: {}, log: { level: 'info' },
    });
  });

  it('reads every field; relative paths from the config file, sizes with units, keys as hex', () => {
    mkdirSync(join(dir, 'seed'), { recursive: true });
    writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\n');
    const file = join(dir, 'full.json');
    writeFileSync(file, JSON.stringify({
      ...BASE, coreKeys: [{ kid: 'core-1', publicKeyFile: 'core.pub.json' }, { kid: 'core-2', publicKey: HEX.toUpperCase() }],
      cells: ['01A2D101', '24001-0001'], capacity: { cpu: 4, mem: 2048 }, host: '0.0.0.0', stateDir: 'var/edge-a',
      runtime: 'kubernetes', oci: { socketPath: 'run/podman.sock' }, kubernetes: { kubeconfig: 'kubeconfig', namespace: 'simedge', image: 'reg.example/fn@sha256:' + 'a'.repeat(64) },
      artefacts: { dir: 'cache', quotaBytes: '1 GiB', maxArtefactBytes: 4194304, seedDir: 'seed', gcIntervalMs: 30000 },
      sharedGraceMs: 0, metrics: { port: 0 }, log: { level: 'debug' },
    }));
    const c = loadEdgeConfig(file, { SIMEDGE_LOG_LEVEL: 'error' });
    expect(c).toMatchObject({
      coreKeys: [{ kid: 'core-1' }, { kid: 'core-2', publicKey: core.publicKey }], cells: ['01A2D101', '24001-0001'], capacity: { cpu: 4, mem: 2048 },
      host: '0.0.0.0', stateDir: join(dir, 'var/edge-a'), runtime: 'kubernetes', oci: { socketPath: join(dir, 'run/podman.sock') },
      kubernetes: { kubeconfig: join(dir, 'kubeconfig'), namespace: 'simedge' },
      artefacts: { dir: join(dir, 'cache'), quotaBytes: 1024 ** 3, maxArtefactBytes: 4194304, seedDir: join(dir, 'seed'), gcIntervalMs: 30000 },
      sharedGraceMs: 0, metrics: { port: 0 }, log: { level: 'debug' }, // the file wins over SIMEDGE_LOG_LEVEL
    });
    expect(checkConfig({ ...BASE, kubernetes: { podmanKubePlay: true }, runtime: 'kubernetes' }, dir, {}).kubernetes).toEqual({ podmanKubePlay: true });
    expect(checkConfig(BASE, dir, { SIMEDGE_LOG_LEVEL: 'warn' }).log.level).toBe('warn');
  });

  it('maps the config onto EdgeOptions: state always on disk, metrics port, runtime sections', () => {
    const c = checkConfig({ ...BASE, runtime: 'oci', oci: { socketPath: '/run/podman/podman.sock' }, metrics: { port: 9464 }, sharedGraceMs: 5000 }, dir, {});
    const o = edgeOptions(c, silentLog);
    expect(o).toMatchObject({ id: 'edge-a', brokerUrl: 'mqtt://127.0.0.1:1883', stateDir: join(dir, 'state'), runtime: 'oci', oci: { socketPath: '/run/podman/podman.sock' }, metricsPort: 9464, sharedGraceMs: 5000 });
    expect(o.tls).toBeUndefined();
    expect(o.restart).toBeUndefined();
    expect(o.process).toBeUndefined();
  });

  it('restart backoff and process runtime settings reach EdgeOptions; each mistake names its field', () => {
    const c = checkConfig({
      ...BASE, restart: { baseMs: 250, maxMs: 8000, resetAfterMs: 20000 },
      process: { callTimeoutMs: 500, startTimeoutMs: 8000, graceMs: 1000, healthIntervalMs: 0, healthFailures: 5, cgroupRoot: 'cg', warm: false },
    }, dir, {});
    const o = edgeOptions(c, silentLog);
    expect(o.restart).toEqual({ baseMs: 250, maxMs: 8000, resetAfterMs: 20000 });
    expect(o.process).toEqual({ callTimeoutMs: 500, startTimeoutMs: 8000, graceMs: 1000, healthIntervalMs: 0, healthFailures: 5, cgroupRoot: join(dir, 'cg'), warm: false });
    expect(checkConfig({ ...BASE, process: { cgroupRoot: false } }, dir, {}).process).toEqual({ cgroupRoot: false });
    const cases: Array<[unknown, RegExp]> = [
      [{ ...BASE, restart: { baseMs: -1 } }, /^restart\.baseMs: a whole number of milliseconds/],
      [{ ...BASE, restart: { baseMs: 1000, maxMs: 10 } }, /^restart\.maxMs: must not be below restart\.baseMs/],
      [{ ...BASE, restart: { jitter: 1 } }, /^restart\.jitter: unknown field/],
      [{ ...BASE, process: { callTimeoutMs: 0 } }, /^process\.callTimeoutMs: a positive number/],
      [{ ...BASE, process: { healthFailures: 0 } }, /^process\.healthFailures: a whole number >= 1/],
      [{ ...BASE, process: { warm: 'yes' } }, /^process\.warm: true or false/],
      [{ ...BASE, process: { cgroupRoot: true } }, /^process\.cgroupRoot: a non-empty string/],
      [{ ...BASE, process: { scope: 'x' } }, /^process\.scope: unknown field/],
    ];
    for (const [raw, want] of cases) expect(configError(raw)).toMatch(want);
  });

  it('names the field of every mistake', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /^config: an object expected/],
      [{ ...BASE, id: undefined }, /^id: a non-empty string/],
      [{ ...BASE, id: 'edge/a' }, /^id: an edge id expected/],
      [{ ...BASE, broker: undefined }, /^broker: an object expected/],
      [{ ...BASE, broker: { url: 'http://x' } }, /^broker\.url: an mqtt:\/\/ or mqtts:\/\/ URL/],
      [{ ...BASE, broker: { url: 'wss://x:443' } }, /^broker\.url: the edge agent speaks mqtt:\/\/ and mqtts:\/\/ only/],
      [{ ...BASE, broker: { url: 'mqtt://x', embedded: {} } }, /^broker\.embedded: unknown field/],
      [{ ...BASE, coreKeys: [] }, /^coreKeys: a non-empty list/],
      [{ ...BASE, coreKeys: [{ kid: 'k' }] }, /^coreKeys\[0\]: exactly one of publicKeyFile or publicKey/],
      [{ ...BASE, coreKeys: [{ publicKey: HEX }] }, /^coreKeys\[0\]\.kid: required with publicKey/],
      [{ ...BASE, coreKeys: [{ kid: 'k', publicKey: 'abcd' }] }, /^coreKeys\[0\]\.publicKey: an Ed25519 public key as 64 hex digits/],
      [{ ...BASE, coreKeys: [{ kid: 'a b', publicKey: HEX }] }, /^coreKeys\[0\]\.kid: 1\.\.64 printable/],
      [{ ...BASE, coreKeys: [{ publicKeyFile: 'nope.pub.json' }] }, /^coreKeys\[0\]\.publicKeyFile: INPUT_UNREADABLE.*nope\.pub\.json/],
      [{ ...BASE, coreKeys: [{ publicKeyFile: 'core.key.json' }] }, /^coreKeys\[0\]\.publicKeyFile: .*holds a private key; give the edge only the public key file/],
      [{ ...BASE, coreKeys: [{ kid: 'core-9', publicKeyFile: 'core.pub.json' }] }, /^coreKeys\[0\]\.kid: core-9 does not match the kid core-1/],
      [{ ...BASE, coreKeys: [{ publicKeyFile: 'core.pub.json' }, { kid: 'core-1', publicKey: HEX }] }, /^coreKeys\[1\]\.kid: core-1 is listed twice/],
      [{ ...BASE, coreKeys: [{ publicKeyFile: 'core.pub.json', x: 1 }] }, /^coreKeys\[0\]\.x: unknown field/],
      [{ ...BASE, cells: 'a' }, /^cells: a list/],
      [{ ...BASE, cells: [24001] }, /^cells\[0\]: a string expected \(quote all-digit ids/],
      [{ ...BASE, capacity: { cpu: 0 } }, /^capacity\.cpu: a positive number/],
      [{ ...BASE, capacity: { mem: '1G' } }, /^capacity\.mem: a positive number/],
      [{ ...BASE, capacity: { disk: 1 } }, /^capacity\.disk: unknown field/],
      [{ ...BASE, host: '' }, /^host: a non-empty string/],
      [{ ...BASE, stateDir: 7 }, /^stateDir: a non-empty string/],
      [{ ...BASE, runtime: 'docker' }, /^runtime: process, oci or kubernetes/],
      [{ ...BASE, oci: {} }, /^oci: only used with runtime oci or kubernetes/],
      [{ ...BASE, runtime: 'oci', oci: { socket: 'x' } }, /^oci\.socket: unknown field/],
      [{ ...BASE, runtime: 'oci', kubernetes: {} }, /^kubernetes: only used with runtime kubernetes/],
      [{ ...BASE, runtime: 'kubernetes', kubernetes: { namespace: 'Bad_NS' } }, /^kubernetes\.namespace: a DNS label/],
      [{ ...BASE, runtime: 'kubernetes', kubernetes: { kubeconfig: 'missing' } }, /^kubernetes\.kubeconfig: cannot read .*missing/],
      [{ ...BASE, runtime: 'kubernetes', kubernetes: { podmanKubePlay: false } }, /^kubernetes\.podmanKubePlay: true expected/],
      [{ ...BASE, runtime: 'kubernetes', kubernetes: { podmanKubePlay: true, namespace: 'x' } }, /^kubernetes\.namespace: unknown field/],
      [{ ...BASE, artefacts: { quotaBytes: '1 TB' } }, /^artefacts\.quotaBytes: a positive byte count/],
      [{ ...BASE, artefacts: { quotaBytes: 1024, maxArtefactBytes: 2048 } }, /^artefacts\.maxArtefactBytes: larger than the quota/],
      [{ ...BASE, artefacts: { seedDir: 'core.pub.json' } }, /^artefacts\.seedDir: .* is not a directory/],
      [{ ...BASE, artefacts: { gcIntervalMs: -1 } }, /^artefacts\.gcIntervalMs: a positive number/],
      [{ ...BASE, artefacts: { size: 1 } }, /^artefacts\.size: unknown field/],
      [{ ...BASE, sharedGraceMs: 1.5 }, /^sharedGraceMs: a whole number of milliseconds/],
      [{ ...BASE, metrics: { port: 70000 } }, /^metrics\.port: a port number/],
      [{ ...BASE, metrics: {} }, /^metrics\.port: a port number/],
      [{ ...BASE, log: { level: 'trace' } }, /^log\.level: one of debug, info, warn, error/],
      [{ ...BASE, tls: { caFile: 'nope.crt', certFile: 'x', keyFile: 'y' } }, /^tls\.caFile: cannot read .*nope\.crt/],
      [{ ...BASE, restarts: {} }, /^config\.restarts: unknown field/],
    ];
    for (const [raw, want] of cases) expect(configError(raw), JSON.stringify(raw)).toMatch(want);
    expect(configError(BASE, { SIMEDGE_LOG_LEVEL: 'loud' })).toMatch(/^SIMEDGE_LOG_LEVEL: one of/);
  });

  it('a missing file is INPUT_UNREADABLE; broken YAML or JSON is CONFIG_INVALID naming the file', () => {
    expect(() => loadEdgeConfig(join(dir, 'none.yaml'))).toThrow(/INPUT_UNREADABLE/);
    writeFileSync(join(dir, 'broken.yaml'), 'id: [edge-a\n');
    expect(() => loadEdgeConfig(join(dir, 'broken.yaml'))).toThrow(/CONFIG_INVALID.*broken\.yaml: not valid YAML/);
    writeFileSync(join(dir, 'broken.json'), '{"id": ');
    expect(() => loadEdgeConfig(join(dir, 'broken.json'))).toThrow(/CONFIG_INVALID.*broken\.json: not valid JSON/);
  });
});

describe('daemon log', () => {
  it('writes JSON lines at or above its level; fields never replace the record keys', () => {
    const lines: string[] = [];
    const log = jsonLog('warn', 'edge:edge-a', { write: (s: string) => lines.push(s) });
    log('info', 'hidden');
    log('warn', 'order dropped', { msg: 'spoof', step: 205 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'warn', name: 'edge:edge-a', msg: 'order dropped', step: 205 });
  });
});
