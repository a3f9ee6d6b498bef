// `simedge core run --config <file>`: the core daemon in the foreground (daemon.ts). Prints where
// the broker, the admin API and RADIUS listen, one per line, then "ready"; SIGINT/SIGTERM stop it
// gracefully with exit code 0. A bad config or a taken port is exit code 1 with the stable code.
import type { Command } from '@simedge/device-sdk/tools';

export const runCommand: Command = {
  kind: 'command',
  name: 'run',
  summary: 'run the core validator daemon from a config file',
  maxArgs: 0,
  options: {
    config: { type: 'string', short: 'c', placeholder: 'file', description: 'config file, JSON or YAML (required)' },
  },
  help: `Starts the broker (embedded unless broker.url is set), the store, the core with RADIUS
accounting when configured, and the admin API (127.0.0.1:8620 by default, bearer token required).
Config fields: broker, database, coreKeyFile, radius, admin, placement, policy, plans, log,
opTimeoutMs, nonceTtlSec, orderTtlSec, attestation (see core-validator/README.md, "Operations").

Example (core.yaml):
  coreKeyFile: core.key.json          # simedge keys gen --kid core-1 -o core.key.json
  database: core.db
  admin: { port: 8620, tokenFile: admin.token }
  radius: { port: 1813, secretFile: radius.secret }
  placement: { cells: { 01A2D101: edge-a } }`,
  async run(values, _args, io) {
    if (typeof values.config !== 'string') {
      const { UsageError } = await import('@simedge/device-sdk/tools');
      throw new UsageError('--config is required', ['simedge', 'core', 'run']);
    }
    const { loadCoreConfig } = await import('../daemon-config.js');
    const { serveCore } = await import('../daemon.js');
    const { resolve } = await import('node:path');
    const config = loadCoreConfig(resolve(io.cwd, values.config));
    return serveCore(config, io);
  },
};
