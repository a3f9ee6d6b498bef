// `simedge keys …`: manufacturer (and core) Ed25519 key files as JWKs [RFC8037].
import { resolve } from 'node:path';
import type { Group, Io, OptionValues } from './command.js';
import { UsageError } from './command.js';
import { checkKid } from './jwk.js';
import { readKeyFile, writeKeyPair } from './keyfile.js';
import { isKeyPair, toPublicJwk } from './jwk.js';

const str = (v: OptionValues[string]) => (typeof v === 'string' ? v : undefined);

export const keysGroup: Group = {
  kind: 'group',
  name: 'keys',
  summary: 'create and show Ed25519 signing keys (JWK files)',
  children: [
    {
      kind: 'command',
      name: 'gen',
      summary: 'generate a key pair: private JWK (mode 0600) and public JWK beside it',
      options: {
        kid: { type: 'string', placeholder: 'kid', description: 'key id written into every signature, e.g. acme-2026 (required)' },
        out: { type: 'string', short: 'o', placeholder: 'file', description: 'private key file, e.g. acme.key.json (required); the public key goes to acme.pub.json' },
        force: { type: 'boolean', description: 'replace existing files' },
        json: { type: 'boolean', description: 'print the result as JSON' },
      },
      help: 'Example:\n  simedge keys gen --kid acme-2026 -o acme.key.json\n\nGive acme.pub.json to the operator (its trust store); keep acme.key.json secret.',
      async run(v: OptionValues, _args: string[], io: Io) {
        const kid = str(v.kid);
        const out = str(v.out);
        if (!kid) throw new UsageError('--kid is required', ['simedge', 'keys', 'gen']);
        if (!out) throw new UsageError('-o/--out is required', ['simedge', 'keys', 'gen']);
        try {
          checkKid(kid);
        } catch (e) {
          throw new UsageError(`--kid: ${(e as Error).message}`, ['simedge', 'keys', 'gen']);
        }
        const k = writeKeyPair(resolve(io.cwd, out), kid, { force: v.force === true });
        if (v.json) io.out(JSON.stringify({ kid, private: k.privatePath, public: k.publicPath, x: toPublicJwk(k).x }) + '\n');
        else io.out(`wrote ${k.privatePath} (private, mode 0600) and ${k.publicPath} (public), kid ${kid}\n`);
        return 0;
      },
    },
    {
      kind: 'command',
      name: 'show',
      summary: 'check a key file and print its public JWK',
      args: '<key.json>',
      minArgs: 1,
      maxArgs: 1,
      async run(_v: OptionValues, args: string[], io: Io) {
        const k = readKeyFile(resolve(io.cwd, args[0] as string));
        io.out(JSON.stringify({ ...toPublicJwk(k), private: isKeyPair(k) }, null, 2) + '\n');
        return 0;
      },
    },
  ],
};
