// `simedge core ...` and `simedge pki ...`: the core validator's commands for the simedge CLI
// (device-sdk/src/tools/cli.ts loads `commands` from this package's "./cli" export). Light on
// purpose: the daemon, the store, node-forge and the HTTP client are imported inside each
// command's run, so `simedge --help` stays fast.
import type { Entry } from '@simedge/device-sdk/tools';
import { adminEntries } from './cli/admin-commands.js';
import { runCommand } from './cli/run-command.js';
import { pkiCommands } from './pki-cli.js';

export const commands: Entry[] = [
  {
    kind: 'group',
    name: 'core',
    summary: 'core validator: run the daemon; manage SIMs, keys, provisions, edges, charging via its admin API',
    children: [runCommand, ...adminEntries],
  },
  // `simedge pki ...`: the transport PKI (pki-cli.ts).
  ...pkiCommands,
];
