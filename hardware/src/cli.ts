// `simedge modem-emu`: an emulated modem (any dialect) with its own one-cell network on a real
// pseudo-terminal, for firmware and tool development without hardware. Thin entry (STYLE #11):
// parse flags, start, print the device path, run until SIGINT/SIGTERM (or the given abort
// signal), exit code 0 on a clean stop, 2 on bad usage, 1 when the PTY cannot be set up.
import { parseArgs } from 'node:util';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import { DIALECTS, type DialectName } from './modem/dialects/index.js';
import { ModemEmulator } from './modem/emulator.js';
import { NetworkSim } from './network.js';
import { startModemPty } from './pty.js';

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Stops the emulator (tests); without it SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

const USAGE = `usage: simedge modem-emu --pty [--dialect <d>] [--imsi <digits>] [--iccid <digits>]
                        [--cell <plmn>:<tac>:<ci>] [--broker mqtt://host:port] [--no-echo]

  --pty        put the modem on a pseudo-terminal and print the device path (required)
  --dialect    ${DIALECTS.join(' | ')} (default generic)
  --imsi       SIM IMSI (default 244051234567890); home PLMN = its first 5 digits
  --iccid      SIM ICCID (default 8935805123456789012)
  --cell       the cell the modem camps on (default <home PLMN>:0A01:01A2D101)
  --broker     send the modem's internal MQTT connections here, whatever host the AT commands name
  --no-echo    start with ATE0
`;

/** Runs the emulator until stopped; resolves with the process exit code. */
export async function modemEmuCommand(argv: string[], io: CliIo): Promise<number> {
  let v: { [k: string]: string | boolean | undefined };
  try {
    v = parseArgs({
      args: argv,
      options: {
        pty: { type: 'boolean' }, dialect: { type: 'string' }, imsi: { type: 'string' }, iccid: { type: 'string' },
        cell: { type: 'string' }, broker: { type: 'string' }, 'no-echo': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!v.pty) {
    io.stderr.write(`--pty is required (the in-memory modem is a library: import ModemEmulator)\n${USAGE}`);
    return 2;
  }
  const dialect = (v.dialect ?? 'generic') as string;
  if (!(DIALECTS as readonly string[]).includes(dialect)) {
    io.stderr.write(`unknown dialect ${dialect}; one of ${DIALECTS.join(', ')}\n`);
    return 2;
  }
  const imsi = (v.imsi ?? '244051234567890') as string;
  const iccid = (v.iccid ?? '8935805123456789012') as string;
  const [plmn, tac, ci] = ((v.cell as string | undefined) ?? `${imsi.slice(0, 5)}:0A01:01A2D101`).split(':');

  let modem: ModemEmulator;
  try {
    const network = new NetworkSim({ cells: [{ id: 'cell-1', plmn: plmn ?? '', tac: tac ?? '', ci: ci ?? '' }] });
    modem = new ModemEmulator({
      sim: { imsi, iccid }, network, cell: 'cell-1', dialect: dialect as DialectName,
      echo: !v['no-echo'], ...(typeof v.broker === 'string' ? { broker: v.broker } : {}),
    });
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }

  let pty;
  try {
    pty = await startModemPty({ modem });
  } catch (e) {
    io.stderr.write(`${isSimedgeError(e) ? e.message : String(e)}\n`);
    modem.close();
    return 1;
  }
  io.stdout.write(`${pty.path}\n`);
  io.stderr.write(`modem-emu: ${dialect} modem on ${pty.path} (${pty.device}), IMSI ${imsi}; Ctrl-C stops\n`);

  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await pty.close();
  return 0;
}

/** The `simedge modem-emu` entry for the simedge command tree (device-sdk/src/tools/cli.ts loads
 *  `commands` from this package's ./cli export). Options are re-declared for the tree's help and
 *  parsing, then handed to modemEmuCommand unchanged. */
export const commands = [
  {
    kind: 'command' as const,
    name: 'modem-emu',
    summary: 'run an emulated modem (any dialect) on a real pseudo-terminal',
    maxArgs: 0,
    help: USAGE,
    options: {
      pty: { type: 'boolean' as const, description: 'put the modem on a pseudo-terminal and print the device path (required)' },
      dialect: { type: 'string' as const, placeholder: '<d>', description: `${DIALECTS.join(' | ')} (default generic)` },
      imsi: { type: 'string' as const, placeholder: '<digits>', description: 'SIM IMSI (default 244051234567890)' },
      iccid: { type: 'string' as const, placeholder: '<digits>', description: 'SIM ICCID (default 8935805123456789012)' },
      cell: { type: 'string' as const, placeholder: '<plmn>:<tac>:<ci>', description: 'the cell the modem camps on' },
      broker: { type: 'string' as const, placeholder: 'mqtt://host:port', description: "where the modem's internal MQTT connects" },
      'no-echo': { type: 'boolean' as const, description: 'start with ATE0' },
    },
    async run(values: Record<string, string | boolean | undefined>): Promise<number> {
      const argv: string[] = [];
      for (const [k, v] of Object.entries(values)) {
        if (v === true) argv.push(`--${k}`);
        else if (typeof v === 'string') argv.push(`--${k}`, v);
      }
      return modemEmuCommand(argv, { stdout: process.stdout, stderr: process.stderr });
    },
  },
];
