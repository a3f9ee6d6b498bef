// `simedge edge status`: read the retained status of one edge (or of all) from the broker and print
// it, as text or JSON. Exported as a function so the `simedge` binary (device-sdk/src/tools/cli.ts)
// wires it in; returns the exit code (0 ok, 1 no status found / broker unreachable, 2 usage).
// `simedge edge run` (the daemon) lives in cli/run-command.ts and loads its modules lazily.
import { parseArgs } from 'node:util';
import { connectMqtt, endMqtt } from '@simedge/device-sdk/node';
import { decodeStatus, isEdgeId, topics, type EdgeStatus } from '@simedge/device-sdk/wire';
import { runCommand } from './cli/run-command.js';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

const HELP = `Usage: simedge edge status [<edge-id>] --broker mqtt://host:port [--json] [--wait <ms>]

Print the retained status of one edge, or of every edge when no id is given: online, cells,
capacity and use (cpu, mem MB), running instances, age of the status.

  --broker <url>   MQTT broker of the core (required)
  --json           one JSON object per edge, one per line
  --wait <ms>      how long to collect retained statuses (default 500)
  -h, --help       this help
`;

function line(s: EdgeStatus, nowMs: number): string {
  const age = Math.max(0, Math.round((nowMs - s.at) / 1000));
  return `${s.edge}  ${s.online ? 'online' : 'OFFLINE'}  cpu ${s.used.cpu}/${s.cap.cpu}  mem ${s.used.mem}/${s.cap.mem} MB  inst ${s.inst}  cells ${s.cells.join(',') || '-'}  (${age}s ago)\n`;
}

export async function edgeStatusCommand(argv: string[], io: CliIo): Promise<number> {
  let values: { broker?: string | undefined; json?: boolean | undefined; wait?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { broker: { type: 'string' }, json: { type: 'boolean' }, wait: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    io.err(`simedge edge status: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const edge = positionals[0];
  const waitMs = values.wait === undefined ? 500 : Number(values.wait);
  if (!values.broker || positionals.length > 1 || (edge !== undefined && !isEdgeId(edge)) || !Number.isFinite(waitMs) || waitMs < 0) {
    io.err(`simedge edge status: ${!values.broker ? '--broker is required' : 'bad arguments'}\n${HELP}`);
    return 2;
  }
  let client;
  try {
    client = await connectMqtt(values.broker, { clientId: `simedge-cli-${process.pid}-${Date.now()}`, clean: true, connectTimeout: 5000, reconnectPeriod: 0 });
  } catch (e) {
    io.err(`simedge edge status: cannot reach ${values.broker}: ${(e as Error).message}\n`);
    return 1;
  }
  const found = new Map<string, EdgeStatus>();
  try {
    await new Promise<void>((resolve, reject) => {
      // Retained messages follow the SUBACK; with one edge we stop at its status, otherwise we
      // collect for --wait ms (MQTT has no "end of retained messages" marker).
      let timer: NodeJS.Timeout | undefined;
      client.on('message', (_topic, payload) => {
        try {
          const s = decodeStatus(payload);
          found.set(s.edge, s);
          if (edge !== undefined && s.edge === edge) {
            clearTimeout(timer);
            resolve();
          }
        } catch (e) {
          io.err(`simedge edge status: ignored a malformed status: ${(e as Error).message}\n`);
        }
      });
      client.subscribeAsync(edge !== undefined ? topics.edgeStatus(edge) : topics.allEdgeStatus, { qos: 1 }).then(() => {
        timer = setTimeout(resolve, waitMs);
      }, reject);
    });
  } finally {
    await endMqtt(client);
  }
  const list = [...found.values()].sort((a, b) => a.edge.localeCompare(b.edge));
  if (list.length === 0) {
    io.err(edge !== undefined ? `simedge edge status: no status for edge ${edge}\n` : 'simedge edge status: no edge has published a status\n');
    return 1;
  }
  const now = Date.now();
  for (const s of list) io.out(values.json ? `${JSON.stringify(s)}\n` : line(s, now));
  return 0;
}

/** `simedge edge run` and `simedge edge status` for the simedge command tree
 *  (device-sdk/src/tools/cli.ts loads `commands` from this package's ./cli export); the status
 *  command's options are handed to edgeStatusCommand. */
export const commands = [
  {
    kind: 'group' as const,
    name: 'edge',
    summary: 'edge agents: run the daemon; read their retained status from the broker',
    children: [
      runCommand,
      {
        kind: 'command' as const,
        name: 'status',
        summary: 'print the retained status of one edge, or of every edge',
        args: '[<edge-id>]',
        maxArgs: 1,
        help: HELP,
        options: {
          broker: { type: 'string' as const, placeholder: '<url>', description: 'MQTT broker of the core (required)' },
          json: { type: 'boolean' as const, description: 'one JSON object per edge, one per line' },
          wait: { type: 'string' as const, placeholder: '<ms>', description: 'how long to collect retained statuses (default 500)' },
        },
        async run(values: Record<string, string | boolean | undefined>, positionals: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
          const argv: string[] = [...positionals];
          for (const [k, v] of Object.entries(values)) {
            if (k === 'help') continue;
            if (v === true) argv.push(`--${k}`);
            else if (typeof v === 'string') argv.push(`--${k}`, v);
          }
          return edgeStatusCommand(argv, io);
        },
      },
    ],
  },
];
