// `npm start`: the network in a box on embedded defaults (aedes broker, SQLite in memory, the
// process runtime, emulated modems and network). Prints a timeline labelled with the FIG. 2 steps,
// per-device timings and a summary; exits 0 when every step completed, 1 otherwise, 2 on usage errors.
import { parseArgs } from 'node:util';
import type { TraceEvent } from '@simedge/device-sdk/wire';
import { demoDevices, startWorld } from './world.js';
import { runScenario } from './scenario.js';
import { renderSummary, renderTimeline } from './timeline.js';

const HELP = `Usage: npm start -- [options]

Runs the whole simedge flow in one process: an embedded MQTT broker, the core validator, two edge
agents (edge-a, edge-b), a simulated radio network and N emulated devices. Every device powers on,
attaches, provisions its 'fn' service and uses it; one device roams into a visited network served by
the other edge; then all switch off.

Options:
  -n, --devices N   number of emulated devices (default 3, at least 1, at most 200)
      --json        print one JSON document (report and timeline) instead of text
  -q, --quiet       print the summary only, not the timeline
      --tls         mutual TLS between every MQTT client and the broker, with topic ACLs
                    (an operator CA and certificates issued in memory at start)
  -h, --help        show this help

Exit status: 0 every step completed, 1 a step failed (the reason is printed), 2 bad options.
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        devices: { type: 'string', short: 'n', default: '3' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        tls: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`network-in-a-box: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const n = Number(values.devices);
  if (!Number.isInteger(n) || n < 1 || n > 200) {
    process.stderr.write(`network-in-a-box: --devices must be a whole number from 1 to 200, got '${values.devices}'\n`);
    return 2;
  }

  const events: TraceEvent[] = [];
  const origin = performance.now();
  // Stamp events on arrival with a sub-millisecond clock; everything runs in this process.
  const trace = (e: TraceEvent) => { events.push({ ...e, at: performance.now() - origin }); };
  if (!values.json) process.stdout.write(`Starting the network in a box with ${n} device(s)${values.tls ? ' over mutual TLS' : ''}...\n`);
  const world = await startWorld({ devices: demoDevices(n), trace, security: values.tls ? 'tls' : 'none' });
  let report;
  try {
    report = await runScenario(world, events);
  } finally {
    await world.stop();
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...report, timeline: events }, null, 2) + '\n');
  } else {
    if (!values.quiet) process.stdout.write('\nTimeline:\n' + renderTimeline(events) + '\n');
    process.stdout.write(renderSummary(report));
  }
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`network-in-a-box: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
