// `simedge pki …` through the real CLI entry (device-sdk's main) with the pki commands as the
// tree: exit codes 0/1/2, help, files written, and the Mosquitto directory it generates.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Group, type Io } from '@simedge/device-sdk/tools';
import { pkiCommands } from '../src/pki-cli.js';

const root: Group = { kind: 'group', name: 'simedge', summary: 'test tree', children: pkiCommands };
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'simedge-pki-cli-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), cwd };
  const code = await main(argv, io, root);
  return { code, out, err };
}

describe('simedge pki', () => {
  it('--help lists the commands; each command has help', async () => {
    const h = await run('pki', '--help');
    expect(h.code).toBe(0);
    for (const c of ['init', 'issue', 'show', 'mosquitto']) expect(h.out).toContain(c);
    const i = await run('pki', 'issue', '--help');
    expect(i.code).toBe(0);
    expect(i.out).toContain('--role');
    expect(i.out).toContain('urn:simedge:<role>:<id>');
  });

  it('init, issue, show: files and identity', async () => {
    expect((await run('pki', 'init', '--dir', 'pki')).code).toBe(0);
    expect(statSync(join(cwd, 'pki', 'ca.key')).mode & 0o777).toBe(0o600);
    const e = await run('pki', 'issue', '--role', 'edge', '--id', 'edge-a', '--dir', 'pki', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out)).toMatchObject({ role: 'edge', id: 'edge-a', cert: join(cwd, 'pki', 'edge-edge-a.crt') });
    const s = await run('pki', 'show', 'pki/edge-edge-a.crt');
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^identity +edge edge-a$/m);
    expect(s.out).toMatch(/^eku +serverAuth, clientAuth$/m);
    const j = await run('pki', 'show', 'pki/edge-edge-a.crt', '--json');
    expect(JSON.parse(j.out).identity).toEqual({ role: 'edge', id: 'edge-a' });
  });

  it('usage errors exit 2 and write nothing', async () => {
    const missing = await run('pki', 'issue', '--role', 'edge', '--dir', 'pki');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--id is required');
    const role = await run('pki', 'issue', '--role', 'root', '--id', 'x', '--dir', 'pki');
    expect(role.code).toBe(2);
    expect(role.err).toContain('role must be one of');
    const imsi = await run('pki', 'issue', '--role', 'device', '--id', 'not-an-imsi', '--dir', 'pki');
    expect(imsi.code).toBe(2);
    const ip = await run('pki', 'issue', '--role', 'broker', '--id', 'b9', '--ip', 'nope', '--dir', 'pki');
    expect(ip.code).toBe(2);
    expect(() => statSync(join(cwd, 'pki', 'broker-b9.crt'))).toThrow();
    expect((await run('pki', 'init', '--dir', 'x', '--days', '-1')).code).toBe(2);
  });

  it('domain failures exit 1 with a stable code', async () => {
    const again = await run('pki', 'init', '--dir', 'pki');
    expect(again.code).toBe(1);
    expect(again.err).toContain('OUTPUT_EXISTS');
    const garbage = await run('pki', 'show', 'pki/ca.key');
    expect(garbage.code).toBe(1);
    expect(garbage.err).toContain('CERT_INVALID');
    const noCa = await run('pki', 'issue', '--role', 'edge', '--id', 'e', '--dir', 'elsewhere');
    expect(noCa.code).toBe(1);
    expect(noCa.err).toContain('INPUT_UNREADABLE');
    const noBroker = await run('pki', 'mosquitto', '--dir', 'pki', '-o', 'mq');
    expect(noBroker.code).toBe(1);
    expect(noBroker.err).toContain('no broker certificate');
  });

  it('mosquitto writes the conf dir with a user block per edge and core', async () => {
    await run('pki', 'issue', '--role', 'broker', '--id', 'b1', '--dns', 'localhost', '--ip', '127.0.0.1', '--dir', 'pki');
    await run('pki', 'issue', '--role', 'core', '--id', 'core-1', '--dir', 'pki');
    await run('pki', 'issue', '--role', 'device', '--id', '244051234567890', '--dir', 'pki');
    const r = await run('pki', 'mosquitto', '--dir', 'pki', '-o', 'mq', '--port', '18883', '--install-dir', '/etc/mosquitto/simedge');
    expect(r.code).toBe(0);
    const conf = readFileSync(join(cwd, 'mq', 'mosquitto.conf'), 'utf8');
    expect(conf).toContain('listener 18883 127.0.0.1');
    expect(conf).toContain('keyfile /etc/mosquitto/simedge/broker.key');
    const acl = readFileSync(join(cwd, 'mq', 'simedge.acl'), 'utf8');
    expect(acl).toContain('user edge:edge-a');
    expect(acl).toContain('user core:core-1');
    expect(acl).toContain('pattern write simedge/v1/d/%u/up');
    expect(statSync(join(cwd, 'mq', 'broker.key')).mode & 0o777).toBe(0o600);
    expect((await run('pki', 'mosquitto', '--dir', 'pki', '-o', 'mq')).code).toBe(1); // exists
    expect((await run('pki', 'mosquitto', '--dir', 'pki', '-o', 'mq', '--port', '99999')).code).toBe(2);
  });
});
