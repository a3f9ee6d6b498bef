// `simedge pki …`: the operator's transport PKI from the command line - create the CA, issue
// certificates per role, show a certificate, and write a Mosquitto configuration that enforces
// mutual TLS and the topic ACL. Exported as `pkiCommands` for the core-validator ./cli module;
// node-forge and the file code are imported inside `run`, so `simedge --help` stays fast.
import { resolve } from 'node:path';
import { UsageError, type Entry, type Io, type OptionValues } from '@simedge/device-sdk/tools';

const str = (v: OptionValues[string]) => (typeof v === 'string' ? v : undefined);
const list = (v: OptionValues[string]) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : undefined);

function need(v: OptionValues, name: string, path: string[]): string {
  const s = str(v[name]);
  if (!s) throw new UsageError(`--${name} is required`, path);
  return s;
}

function int(v: OptionValues, name: string, path: string[], min: number, max: number): number | undefined {
  const s = str(v[name]);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}`, path);
  return n;
}

const DIR = { type: 'string' as const, placeholder: 'dir', description: 'the PKI directory (required)' };
const FORCE = { type: 'boolean' as const, description: 'replace existing files' };
const JSON_OPT = { type: 'boolean' as const, description: 'print the result as JSON' };

export const pkiCommands: Entry[] = [
  {
    kind: 'group',
    name: 'pki',
    summary: 'transport PKI: operator CA, certificates for core, edges, broker and devices, Mosquitto config',
    children: [
      {
        kind: 'command',
        name: 'init',
        summary: 'create the operator CA (ca.crt, ca.key mode 0600) in a new PKI directory',
        options: {
          dir: DIR,
          cn: { type: 'string', placeholder: 'name', description: 'CA common name (default "simedge operator CA")' },
          days: { type: 'string', placeholder: 'n', description: 'validity in days (default 3650)' },
          force: FORCE,
          json: JSON_OPT,
        },
        help: 'Example:\n  simedge pki init --dir pki\n\nKeep pki/ca.key offline; every broker and client trusts pki/ca.crt.',
        async run(v: OptionValues, _a: string[], io: Io) {
          const path = ['simedge', 'pki', 'init'];
          const dir = resolve(io.cwd, need(v, 'dir', path));
          const days = int(v, 'days', path, 1, 36_500);
          const cn = str(v.cn);
          const { initPki } = await import('./pki/files.js');
          const p = initPki(dir, { ...(cn ? { cn } : {}), ...(days ? { days } : {}), force: v.force === true });
          if (v.json) io.out(JSON.stringify({ cert: p.cert, key: p.key }) + '\n');
          else io.out(`wrote ${p.cert} and ${p.key} (private, mode 0600)\n`);
          return 0;
        },
      },
      {
        kind: 'command',
        name: 'issue',
        summary: 'issue a certificate for a core, edge, broker or device with the directory CA',
        options: {
          role: { type: 'string', placeholder: 'core|edge|broker|device', description: 'the role (required)' },
          id: { type: 'string', placeholder: 'id', description: 'edge/core/broker id, or the device IMSI (required)' },
          dir: DIR,
          dns: { type: 'string', placeholder: 'a,b', description: 'DNS names for the SAN (servers: the names clients connect to)' },
          ip: { type: 'string', placeholder: 'a,b', description: 'IP addresses for the SAN' },
          days: { type: 'string', placeholder: 'n', description: 'validity in days (default 825; devices 3650)' },
          force: FORCE,
          json: JSON_OPT,
        },
        help:
          'Writes <dir>/<role>-<id>.crt and .key (mode 0600). The identity is in the SAN URI\n' +
          'urn:simedge:<role>:<id>; the CN is the IMSI for a device, <role>:<id> otherwise.\n\n' +
          'Examples:\n  simedge pki issue --role broker --id b1 --dns localhost --ip 127.0.0.1 --dir pki\n' +
          '  simedge pki issue --role edge --id edge-a --dir pki\n  simedge pki issue --role device --id 244051234567890 --dir pki',
        async run(v: OptionValues, _a: string[], io: Io) {
          const path = ['simedge', 'pki', 'issue'];
          const dir = resolve(io.cwd, need(v, 'dir', path));
          const role = need(v, 'role', path);
          const id = need(v, 'id', path);
          const days = int(v, 'days', path, 1, 36_500);
          const { checkIdentity } = await import('./pki/identity.js');
          let identity;
          try {
            identity = checkIdentity(role, id);
          } catch (e) {
            throw new UsageError((e as Error).message, path);
          }
          const { issueToDir } = await import('./pki/files.js');
          let r;
          try {
            r = issueToDir(dir, { ...identity, dnsNames: list(v.dns) ?? [], ips: list(v.ip) ?? [], ...(days ? { days } : {}), force: v.force === true });
          } catch (e) {
            if (e instanceof TypeError) throw new UsageError(e.message, path);
            throw e;
          }
          if (v.json) io.out(JSON.stringify({ role: r.identity.role, id: r.identity.id, cert: r.cert, key: r.key }) + '\n');
          else io.out(`wrote ${r.cert} and ${r.key} (private, mode 0600) for ${r.identity.role} ${r.identity.id}\n`);
          return 0;
        },
      },
      {
        kind: 'command',
        name: 'show',
        summary: 'print a certificate: subject, issuer, validity, simedge identity, SANs, key usage',
        args: '<cert.pem>',
        minArgs: 1,
        maxArgs: 1,
        options: { json: JSON_OPT },
        async run(v: OptionValues, args: string[], io: Io) {
          const { readPem } = await import('./pki/files.js');
          const { describeCert } = await import('./pki/describe.js');
          const d = describeCert(readPem(resolve(io.cwd, args[0] as string)));
          if (v.json) {
            io.out(JSON.stringify(d, null, 2) + '\n');
            return 0;
          }
          const rows: Array<[string, string]> = [
            ['subject', d.subject],
            ['issuer', d.issuer],
            ['identity', d.identity ? `${d.identity.role} ${d.identity.id}` : '(none)'],
            ['serial', d.serial],
            ['valid', `${d.notBefore} .. ${d.notAfter}`],
            ['ca', String(d.ca)],
            ['san', d.subjectAltNames.join(', ') || '(none)'],
            ['eku', d.extKeyUsage.join(', ') || '(none)'],
            ['sha256', d.sha256],
          ];
          for (const [k, val] of rows) io.out(`${k.padEnd(9)} ${val}\n`);
          return 0;
        },
      },
      {
        kind: 'command',
        name: 'mosquitto',
        summary: 'write a Mosquitto config dir: mutual-TLS listener, broker cert, topic ACL file',
        options: {
          dir: DIR,
          out: { type: 'string', short: 'o', placeholder: 'conf-dir', description: 'output directory (required)' },
          port: { type: 'string', placeholder: 'n', description: 'listener port (default 8883)' },
          host: { type: 'string', placeholder: 'addr', description: 'listener address (default 127.0.0.1)' },
          broker: { type: 'string', placeholder: 'id', description: 'which broker certificate (default: the only one)' },
          'install-dir': { type: 'string', placeholder: 'path', description: 'where the files will live on the broker host (default: the output directory)' },
          user: { type: 'string', placeholder: 'name', description: 'account Mosquitto drops to when started as root (must read broker.key)' },
          force: FORCE,
        },
        help:
          'Writes ca.crt, broker.crt, broker.key, simedge.acl and mosquitto.conf. The ACL has a\n' +
          '`pattern` pair for all devices and a `user` block for every core and edge certificate\n' +
          'in the PKI directory: re-run after issuing a new edge.\n\n' +
          'Example:\n  simedge pki mosquitto --dir pki -o /etc/mosquitto/simedge\n  mosquitto -c /etc/mosquitto/simedge/mosquitto.conf',
        async run(v: OptionValues, _a: string[], io: Io) {
          const path = ['simedge', 'pki', 'mosquitto'];
          const dir = resolve(io.cwd, need(v, 'dir', path));
          const out = resolve(io.cwd, need(v, 'out', path));
          const port = int(v, 'port', path, 0, 65_535);
          const installDir = str(v['install-dir']);
          const { writeMosquittoDir } = await import('./acl/mosquitto-dir.js');
          const r = writeMosquittoDir(dir, out, {
            ...(port !== undefined ? { port } : {}),
            ...(str(v.host) ? { host: str(v.host) } : {}),
            ...(str(v.broker) ? { broker: str(v.broker) } : {}),
            ...(installDir ? { installDir } : {}),
            ...(str(v.user) ? { runAs: str(v.user) } : {}),
            force: v.force === true,
          });
          io.out(`wrote ${r.files.join(', ')}\nrun: mosquitto -c ${r.conf}\n`);
          return 0;
        },
      },
    ],
  },
];
