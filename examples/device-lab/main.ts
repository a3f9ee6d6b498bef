// `npm run lab`: the device lab (lab.ts) on the command line. Prints the serial device path, the
// signed template and the Espruino firmware script it wrote, then the FIG. 2 events as they
// happen, and reads commands from stdin (move, roam, home, drop, status, quit). Runs until quit,
// end of input with --no-stdin off, or SIGINT/SIGTERM; exit 0 on a clean stop, 1 when the lab
// could not start (e.g. no socat), 2 on bad options.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { DIALECTS, type DialectName } from '@simedge/hardware';
import type { TraceEvent } from '@simedge/device-sdk/wire';
import { CELLS } from '../network-in-a-box/world.js';
import { STEP_NAMES } from '../network-in-a-box/timeline.js';
import { describeCell, startLab } from './lab.js';

const HOME = CELLS.filter((c) => c.plmn === '24001').map((c) => c.id);
const VISITED = CELLS.filter((c) => c.plmn !== '24001').map((c) => c.id);

const HELP = `Usage: npm run lab -- [options]

The device lab: the whole simedge network (embedded MQTT broker, core validator, edge-a and
edge-b, a simulated radio network with RADIUS accounting) for ONE device of your own, whose
emulated modem sits on a real pseudo-terminal. Open the printed path like the modem's UART:
Espruino's Linux build (run the lab-device.js it writes), a Raspberry Pi program, minicom.

Options:
  --dialect D    the modem's command set: ${DIALECTS.join(' | ')} (default bg96,
                 the SDK's Espruino bundle's Quectel driver)
  --imsi N       the SIM's IMSI (default 240011234900001; registered at the core)
  --iccid N      the SIM's ICCID (default 8946011234900001000)
  --cell ID      the cell at power-up: ${CELLS.map((c) => c.id).join(', ')} (default ${CELLS[0]?.id})
  --dir DIR      write template.cose and lab-device.js here (default: a fresh temp dir)
  --bundle FILE  the Espruino bundle lab-device.js loads (default device-sdk/dist/espruino/simedge.min.js;
                 e.g. one from 'simedge espruino build' for another modem)
  --quiet        do not print the FIG. 2 events
  -h, --help     show this help

Commands on stdin, one per line:
  move [CELL]    move the modem to CELL, or to the next cell (a new cell re-provisions)
  roam           move into the visited network (${VISITED.join(', ')}: +CEREG stat 5)
  home           move back to the home network (${HOME[0]})
  drop           cut the modem's MQTT link (its link-loss URC)
  status         the cell, and the provisions the core holds for the SIM
  quit           stop the lab (also Ctrl-C)
`;

async function main(argv: string[]): Promise<number> {
  let v;
  try {
    ({ values: v } = parseArgs({
      args: argv,
      options: {
        dialect: { type: 'string' }, imsi: { type: 'string' }, iccid: { type: 'string' }, cell: { type: 'string' },
        dir: { type: 'string' }, bundle: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`device-lab: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dialect = v.dialect ?? 'bg96';
  if (!(DIALECTS as readonly string[]).includes(dialect)) {
    process.stderr.write(`device-lab: unknown dialect '${dialect}'; one of ${DIALECTS.join(', ')}\n`);
    return 2;
  }
  if (v.cell !== undefined && !CELLS.some((c) => c.id === v.cell)) {
    process.stderr.write(`device-lab: unknown cell '${v.cell}'; one of ${CELLS.map((c) => c.id).join(', ')}\n`);
    return 2;
  }
  if (v.bundle !== undefined && !existsSync(v.bundle)) {
    process.stderr.write(`device-lab: no bundle at '${v.bundle}' (build one: simedge espruino build --modem <family> -o <file>)\n`);
    return 2;
  }
  const t0 = Date.now();
  const trace = v.quiet ? undefined : (e: TraceEvent): void => {
    const step = e.step ? `${e.step} ${STEP_NAMES[e.step] ?? ''}` : '';
    process.stdout.write(`+${((e.at - t0) / 1000).toFixed(3).padStart(8)} s  ${step.padEnd(30)} ${e.actor.padEnd(24)} ${e.ev}${e.detail ? ' ' + e.detail : ''}\n`);
  };
  let lab;
  try {
    lab = await startLab({ dialect: dialect as DialectName, imsi: v.imsi, iccid: v.iccid, cell: v.cell, dir: v.dir, bundle: v.bundle, trace });
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`device-lab: could not start: ${msg}\n`);
    return e instanceof RangeError ? 2 : 1;
  }
  process.stdout.write([
    `device lab up: ${dialect} modem, IMSI ${lab.imsi}, ICCID ${lab.iccid}, ${describeCell(lab.cell())}`,
    `  serial device   ${lab.path}`,
    `  template        ${lab.templatePath}`,
    lab.scriptPath
      ? `  Espruino        ${lab.scriptPath}   (Linux build: ./espruino ${lab.scriptPath})`
      : '  Espruino        no script: a generic modem has no MQTT client (NodeDevice over IP, or a firmware transport)',
    `  MQTT broker     ${lab.world.broker.url} (the modem reaches it whatever host it is told)`,
    'commands: move [CELL], roam, home, drop, status, quit',
    '',
  ].join('\n'));

  const l = lab;
  return new Promise<number>((resolve) => {
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      rl.close();
      l.stop().then(() => resolve(0), (e: unknown) => {
        process.stderr.write(`device-lab: stop failed: ${(e as Error).message}\n`);
        resolve(1);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      const [cmd, arg] = line.trim().split(/\s+/);
      try {
        if (!cmd) return;
        if (cmd === 'quit' || cmd === 'exit') stop();
        else if (cmd === 'move') process.stdout.write(`lab: moved to ${describeCell(l.move(arg))}\n`);
        else if (cmd === 'roam') process.stdout.write(`lab: moved to ${describeCell(l.move(VISITED[0]))}\n`);
        else if (cmd === 'home') process.stdout.write(`lab: moved to ${describeCell(l.move(HOME[0]))}\n`);
        else if (cmd === 'drop') {
          l.dropLink();
          process.stdout.write('lab: MQTT link cut\n');
        } else if (cmd === 'status') {
          l.world.core.store.provisions({ imsi: l.imsi }).then((ps) => {
            process.stdout.write(`lab: ${describeCell(l.cell())}; provisions: ${ps.map((p) => `${p.pid} ${p.state} on ${p.edge}`).join(', ') || 'none'}\n`);
          }, (e: unknown) => process.stdout.write(`lab: status failed: ${(e as Error).message}\n`));
        } else process.stdout.write(`lab: unknown command '${cmd}' (move [CELL], roam, home, drop, status, quit)\n`);
      } catch (e) {
        process.stdout.write(`lab: ${(e as Error).message}\n`);
      }
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exit(code); },
  (e: unknown) => {
    process.stderr.write(`device-lab: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
