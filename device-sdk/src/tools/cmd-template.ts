// `simedge template …`: build and sign resource templates, inspect and verify signed ones.
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Group, Io, OptionSpec, OptionValues } from './command.js';
import { UsageError } from './command.js';
import { inspectTemplate, keysByKid, MAX_SIGNED_TEMPLATE, verifyTemplate } from './inspect.js';
import type { PublicKeyInfo } from './jwk.js';
import { readInput, readKeyFile, readPrivateKeyFile, readTrustDir, writeOutput } from './keyfile.js';
import { inspectionJson, inspectionText, toJsonable } from './render.js';
import { signTemplate } from './sign.js';
import { loadTemplateSource, toEpochSeconds } from './source.js';
import { SimedgeError } from '../wire/codes.js';

const str = (v: OptionValues[string]) => (typeof v === 'string' ? v : undefined);

const KEY_OPTIONS: Record<string, OptionSpec> = {
  key: { type: 'string', short: 'k', placeholder: 'pub.json', description: 'public (or private) JWK of the signer' },
  trust: { type: 'string', placeholder: 'dir', description: 'directory of public JWKs; the key is picked by the kid' },
};

/** Keys from --key and/or --trust; undefined when neither was given. */
function loadKeys(v: OptionValues, io: Io): Map<string, PublicKeyInfo> | undefined {
  const list: PublicKeyInfo[] = [];
  const key = str(v.key);
  const trust = str(v.trust);
  if (key) {
    const k = readKeyFile(resolve(io.cwd, key));
    list.push({ kid: k.kid, publicKey: k.publicKey });
  }
  if (trust) list.push(...readTrustDir(resolve(io.cwd, trust)).values());
  if (!key && !trust) return undefined;
  return keysByKid(list);
}

function readCose(file: string, io: Io): Uint8Array {
  return new Uint8Array(readInput(resolve(io.cwd, file), MAX_SIGNED_TEMPLATE * 4));
}

export const templateGroup: Group = {
  kind: 'group',
  name: 'template',
  summary: 'sign, inspect and verify resource templates (COSE_Sign1 / EdDSA)',
  children: [
    {
      kind: 'command',
      name: 'sign',
      summary: 'validate a JSON/YAML template source and sign it',
      args: '<template.json|yaml>',
      minArgs: 1,
      maxArgs: 1,
      options: {
        key: { type: 'string', short: 'k', placeholder: 'key.json', description: 'private JWK to sign with (required); its kid goes into the signature' },
        out: { type: 'string', short: 'o', placeholder: 'file', description: 'output file (default: the source name with .cose)' },
        json: { type: 'boolean', description: 'print the result as JSON' },
      },
      help: [
        'Source conveniences (resolved before signing):',
        '  iat, exp   seconds since the epoch, or ISO-8601 like "2026-01-01T00:00:00Z"',
        '  art        { file: fn.js } inline code (<= 4096 bytes, path relative to the source)',
        '             { text: "..." } inline code',
        '             { file: fn.js, url: https://... } reference with sha256 and size of the file',
        '             { sha256: <hex>, size: <n>, url: https://... } reference as given',
        '',
        'Example:',
        '  simedge template sign thermo.yaml --key acme.key.json -o thermo.cose',
      ].join('\n'),
      async run(v: OptionValues, args: string[], io: Io) {
        const keyFile = str(v.key);
        if (!keyFile) throw new UsageError('--key is required', ['simedge', 'template', 'sign']);
        const src = resolve(io.cwd, args[0] as string);
        const out = str(v.out) ? resolve(io.cwd, str(v.out) as string) : join(dirname(src), `${basename(src, extname(src))}.cose`);
        const key = readPrivateKeyFile(resolve(io.cwd, keyFile));
        const tpl = loadTemplateSource(src);
        const cose = signTemplate(tpl, key);
        writeOutput(out, cose);
        if (v.json) io.out(JSON.stringify({ out, kid: key.kid, tid: tpl.tid, seq: tpl.seq, size: cose.length }) + '\n');
        else io.out(`signed ${tpl.tid} seq ${tpl.seq} with kid ${key.kid}: ${out} (${cose.length} bytes)\n`);
        return 0;
      },
    },
    {
      kind: 'command',
      name: 'inspect',
      summary: 'show the fields, kid and size of a signed template (and its signature, given keys)',
      args: '<x.cose>',
      minArgs: 1,
      maxArgs: 1,
      options: { ...KEY_OPTIONS, json: { type: 'boolean', description: 'print JSON (byte strings as {"$bytes": hex})' } },
      async run(v: OptionValues, args: string[], io: Io) {
        const file = args[0] as string;
        const keys = loadKeys(v, io);
        const r = inspectTemplate(readCose(file, io), keys);
        io.out(v.json ? inspectionJson(file, r) : inspectionText(file, r));
        return 0;
      },
    },
    {
      kind: 'command',
      name: 'verify',
      summary: 'check signature, template fields and validity window; exit 0 if valid, 1 if not',
      args: '<x.cose>',
      minArgs: 1,
      maxArgs: 1,
      options: {
        ...KEY_OPTIONS,
        at: { type: 'string', placeholder: 'time', description: 'check the validity window at this time (epoch seconds or ISO-8601; default now)' },
        'ignore-time': { type: 'boolean', description: 'do not check iat/exp' },
        json: { type: 'boolean', description: 'print the verdict as JSON' },
      },
      help: 'Prints "valid" or "invalid: <CODE> <detail>". Codes: BAD_SIGNATURE, UNKNOWN_KEY, TEMPLATE_INVALID,\nTEMPLATE_EXPIRED, COSE_INVALID, CBOR_*.',
      async run(v: OptionValues, args: string[], io: Io) {
        const path = ['simedge', 'template', 'verify'];
        const keys = loadKeys(v, io);
        if (!keys) throw new UsageError('give --key <pub.json> or --trust <dir>', path);
        let now: number | undefined = Math.floor(Date.now() / 1000);
        if (v['ignore-time']) now = undefined;
        else if (str(v.at) !== undefined) {
          const at = str(v.at) as string;
          const n = /^\d+$/.test(at) ? Number(at) : toEpochSecondsOrUsage(at, path);
          now = n;
        }
        const verdict = verifyTemplate(readCose(args[0] as string, io), keys, now);
        if (v.json) io.out(JSON.stringify(toJsonable(verdict)) + '\n');
        else if (verdict.ok) io.out(`valid: ${verdict.template.tid} seq ${verdict.template.seq} signed by ${verdict.kid}\n`);
        else io.out(`invalid: ${verdict.code} ${verdict.detail}\n`);
        return verdict.ok ? 0 : 1;
      },
    },
  ],
};

function toEpochSecondsOrUsage(at: string, path: string[]): number {
  try {
    return toEpochSeconds(at, '--at') as number;
  } catch (e) {
    if (e instanceof SimedgeError) throw new UsageError(`--at: ${e.detail ?? e.message}`, path);
    throw e;
  }
}
