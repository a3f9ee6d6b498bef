// `simedge edge run --config <file>`: the edge agent daemon in the foreground (daemon.ts). Prints
// the broker it connected to, its state folder and, when on, the metrics URL, one per line, then
// "ready"; SIGINT/SIGTERM stop it gracefully (instances stopped, status offline) with exit code 0.
// A bad config, a state folder in use or an unreachable broker is exit code 1 with the stable code.
import type { Command } from '@simedge/device-sdk/tools';

export const runCommand: Command = {
  kind: 'command',
  name: 'run',
  summary: 'run the edge agent daemon from a config file',
  maxArgs: 0,
  options: {
    config: { type: 'string', short: 'c', placeholder: 'file', description: 'config file, JSON or YAML (required)' },
  },
  help: `Connects to the core's MQTT broker as edge <id>, runs the services of the orders signed by
the configured core key(s), and keeps its desired state in stateDir (default: "state" beside the
config file), so a restart picks up where it stopped. Relative paths are taken from the config
file's folder. Config fields: id, broker, tls, coreKeys, cells, capacity, host, stateDir, runtime,
oci, kubernetes, artefacts, sharedGraceMs, restart, process, metrics, log (see
edge-agent/README.md, "Running the agent (daemon)").

Example (edge.yaml):
  id: edge-a
  broker: { url: "mqtts://core.example:8883" }
  tls: { caFile: pki/ca.crt, certFile: pki/edge-edge-a.crt, keyFile: pki/edge-edge-a.key }
  coreKeys:
    - { publicKeyFile: core.pub.json }   # from simedge keys gen --kid core-1 -o core.key.json (on the core)
  cells: ["01A2D101"]
  capacity: { cpu: 4, mem: 2048 }
  stateDir: /var/lib/simedge/edge-a
  runtime: process                       # or oci (with oci: { socketPath }) or kubernetes
  artefacts: { quotaBytes: "1 GiB" }
  metrics: { port: 9464 }
  log: { level: info }`,
  async run(values, _args, io) {
    if (typeof values.config !== 'string') {
      const { UsageError } = await import('@simedge/device-sdk/tools');
      throw new UsageError('--config is required', ['simedge', 'edge', 'run']);
    }
    // Imported here, not at the top: `simedge --help` must not load SQLite, MQTT and the runtimes.
    const { loadEdgeConfig } = await import('../daemon-config.js');
    const { serveEdge } = await import('../daemon.js');
    const { resolve } = await import('node:path');
    const config = loadEdgeConfig(resolve(io.cwd, values.config));
    return serveEdge(config, io);
  },
};
