// `simedge pki mosquitto`: write a ready-to-run Mosquitto configuration directory from a PKI
// directory: the CA certificate, the broker's certificate and key (0600), the acl_file with a
// `user` block for every core and edge certificate issued so far, and mosquitto.conf.
import { copyFileSync, chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { caPaths, listIssued } from '../pki/files.js';
import { mosquittoAcl, mosquittoConf } from './mosquitto.js';

export interface MosquittoDirOptions {
  port?: number;
  host?: string;
  /** The broker certificate to use (its id); default: the only broker certificate in the PKI. */
  broker?: string;
  /** Where the files will live on the broker host (paths written into mosquitto.conf); default: outDir. */
  installDir?: string;
  runAs?: string;
  force?: boolean;
}

export interface MosquittoDir {
  conf: string;
  acl: string;
  files: string[];
}

export function writeMosquittoDir(pkiDir: string, outDir: string, o: MosquittoDirOptions = {}): MosquittoDir {
  const issued = listIssued(pkiDir);
  const brokers = issued.filter((i) => i.identity.role === 'broker' && (o.broker === undefined || i.identity.id === o.broker));
  if (brokers.length !== 1) {
    const why = brokers.length === 0 ? 'no broker certificate' : `several broker certificates (${brokers.map((b) => b.identity.id).join(', ')}); choose one`;
    throw new SimedgeError('INPUT_UNREADABLE', `${pkiDir}: ${why}${o.broker ? ` for id ${o.broker}` : ''}`);
  }
  const broker = brokers[0]!;
  const at = resolve(o.installDir ?? outDir);
  const names = { ca: 'ca.crt', cert: 'broker.crt', key: 'broker.key', acl: 'simedge.acl', conf: 'mosquitto.conf' };
  const out = (n: string) => join(outDir, n);
  if (!o.force) for (const n of Object.values(names)) if (existsSync(out(n))) throw new SimedgeError('OUTPUT_EXISTS', out(n));
  try {
    mkdirSync(outDir, { recursive: true, mode: 0o700 });
    copyFileSync(caPaths(pkiDir).cert, out(names.ca));
    copyFileSync(broker.cert, out(names.cert));
    copyFileSync(broker.key, out(names.key));
    chmodSync(out(names.key), 0o600);
    writeFileSync(out(names.acl), mosquittoAcl(issued.map((i) => i.identity)), { mode: 0o644 });
    writeFileSync(
      out(names.conf),
      mosquittoConf({
        port: o.port ?? 8883,
        host: o.host ?? '127.0.0.1',
        cafile: join(at, names.ca),
        certfile: join(at, names.cert),
        keyfile: join(at, names.key),
        aclFile: join(at, names.acl),
        ...(o.runAs ? { runAs: o.runAs } : {}),
      }),
      { mode: 0o644 },
    );
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code) throw e;
    throw new SimedgeError(err.code === 'ENOENT' && err.path === broker.key ? 'INPUT_UNREADABLE' : 'OUTPUT_UNWRITABLE', `${err.path ?? outDir} (${err.code})`);
  }
  return { conf: out(names.conf), acl: out(names.acl), files: Object.values(names).map(out) };
}
