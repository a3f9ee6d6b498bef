// The device lab: the whole network for ONE device of your own that talks to an emulated modem
// over a real serial port - a firmware on Espruino's Linux build, a Raspberry Pi program, a
// terminal. It is the network in a box (world.ts: embedded broker, core validator, edge-a and
// edge-b, the simulated radio network with RADIUS accounting) with one SIM registered at the core
// and its modem (any dialect) on a pseudo-terminal, plus what the device needs to provision: the
// signed template of the demo's device class, and for Espruino a ready-to-run firmware script.
// The lab can move the modem to another cell or a visited network (roaming, patent claim 2) and
// cut its MQTT link, so a firmware's re-provisioning and reconnect can be watched.
import { writeFileSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModemEmulator, startModemPty, type DialectName, type ModemPty } from '@simedge/hardware';
import type { TraceSink } from '@simedge/device-sdk/wire';
import { CELLS, EDGES, startWorld, type World } from '../network-in-a-box/world.js';

/** The SDK's Espruino bundle (Quectel QMT driver): what the generated firmware script loads by default. */
export const SDK_BUNDLE = fileURLToPath(new URL('../../device-sdk/dist/espruino/simedge.min.js', import.meta.url));

export interface LabOptions {
  /** The modem's command set (default bg96: the SDK bundle's QMT driver). */
  dialect?: DialectName;
  /** The SIM (default 240011234900001 / 8946011234900001000, a home-network subscriber the core knows). */
  imsi?: string;
  iccid?: string;
  /** The cell the modem camps on at power-up (a CELLS id, default the first: served by edge-a). */
  cell?: string;
  /** Where to write template.cose and lab-device.js (default: a fresh temp dir). */
  dir?: string;
  /** The Espruino bundle lab-device.js loads (default the SDK's simedge.min.js). */
  bundle?: string;
  trace?: TraceSink;
}

export interface Lab {
  world: World;
  pty: ModemPty;
  modem: ModemEmulator;
  imsi: string;
  iccid: string;
  dialect: DialectName;
  /** The serial device path to open (a symlink to /dev/pts/N). */
  path: string;
  /** The signed template (COSE_Sign1 bytes). */
  templatePath: string;
  /**
   * A firmware script for Espruino's Linux build (`espruino lab-device.js`); undefined for the
   * generic dialect, whose modem has no MQTT client (the firmware would bring its own transport).
   */
  scriptPath: string | undefined;
  /** The cell the modem is in. */
  cell(): string;
  /** Move the modem to another cell (a CELLS id); the next one in CELLS when omitted. */
  move(cell?: string): string;
  /** Cut the modem's MQTT link (its dialect's link-loss URC). */
  dropLink(): void;
  stop(): Promise<void>;
}

/** Dialect names the SDK's drivers answer to (`SimEdge.start`'s `dialect`), by emulator dialect. */
const SDK_DIALECT: Record<DialectName, string> = {
  generic: 'generic', bg95: 'bg95', bg96: 'bg96', sim7600: 'sim7600', sim7080: 'sim7080', 'sara-r4': 'sara-r4', 'sara-r5': 'sara-r5',
};

/** The Espruino firmware the lab writes: loads the bundle and template from files, opens Serial1 by path. */
export function labScript(o: { bundle: string; template: string; path: string; dialect: DialectName }): string {
  return `// Written by the simedge device lab (npm run lab). Run it with Espruino's Linux build:
//   ./espruino ${'lab-device.js'}
// It loads the SDK bundle and the signed template from files, opens Serial1 on the emulated
// modem's pseudo-terminal and provisions through the lab's core. At the prompt: off() switches
// off (bye -> term, radio off). Each event is printed as one line: READY, ROAM, TERM, ERROR, STOPPED.
var fs = require('fs');
eval(fs.readFileSync(${JSON.stringify(o.bundle)}));
Serial1.setup(115200, { path: ${JSON.stringify(o.path)} });
var se = SimEdge.start({
  serial: Serial1,
  template: fs.readFileSync(${JSON.stringify(o.template)}),
  broker: 'core.lab:1883', // the emulated modem reaches the lab's broker whatever host it is told
  dialect: ${JSON.stringify(SDK_DIALECT[o.dialect])},
  onReady: function (r, info) { print('READY ' + JSON.stringify({ pid: r.pid, edge: r.edge, svc: r.svc, cell: info.cell, plmn: info.plmn, roaming: info.roaming })); },
  onRoam: function (info) { print('ROAM ' + JSON.stringify({ cell: info.cell, plmn: info.plmn, roaming: info.roaming })); },
  onTerm: function (t) { print('TERM ' + JSON.stringify(t)); },
  onError: function (e) { print('ERROR ' + e.code); }
});
function off() {
  se.stop().then(function (terms) { print('STOPPED ' + JSON.stringify(terms)); }, function (e) { print('STOPPED error ' + e.code); });
}
`;
}

/** Start the lab; stop() tears everything down (modem, PTY, edges, core, broker). */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const dialect = opts.dialect ?? 'bg96';
  const imsi = opts.imsi ?? '240011234900001';
  const iccid = opts.iccid ?? '8946011234900001000';
  if (!/^[0-9]{6,15}$/.test(imsi)) throw new RangeError('imsi must be 6..15 digits');
  if (!/^[0-9]{10,20}$/.test(iccid)) throw new RangeError('iccid must be 10..20 digits');
  const start = opts.cell ?? (CELLS[0] as { id: string }).id;
  if (!CELLS.some((c) => c.id === start)) throw new RangeError(`cell must be one of ${CELLS.map((c) => c.id).join(', ')}`);
  const world = await startWorld({ devices: [], trace: opts.trace });
  let pty: ModemPty | undefined;
  try {
    await world.core.store.addSubscriber({ imsi, iccid });
    const modem = new ModemEmulator({ sim: { imsi, iccid }, network: world.network, cell: start, dialect, broker: world.broker.url, trace: opts.trace });
    pty = await startModemPty({ modem });
    const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'simedge-lab-'));
    mkdirSync(dir, { recursive: true });
    const templatePath = join(dir, 'template.cose');
    writeFileSync(templatePath, world.signTemplate(world.template()));
    const scriptPath = dialect === 'generic' ? undefined : join(dir, 'lab-device.js');
    if (scriptPath) writeFileSync(scriptPath, labScript({ bundle: resolve(opts.bundle ?? SDK_BUNDLE), template: templatePath, path: pty.path, dialect }));
    let cell = start;
    const p = pty;
    return {
      world, pty: p, modem, imsi, iccid, dialect, path: p.path, templatePath, scriptPath,
      cell: () => cell,
      move(to?: string): string {
        const i = CELLS.findIndex((c) => c.id === cell);
        const next = to ?? (CELLS[(i + 1) % CELLS.length] as { id: string }).id;
        if (!CELLS.some((c) => c.id === next)) throw new RangeError(`cell must be one of ${CELLS.map((c) => c.id).join(', ')}`);
        modem.moveTo(next);
        cell = next;
        return next;
      },
      dropLink: () => modem.dropLink(),
      async stop() {
        await p.close().catch(() => undefined);
        await world.stop();
      },
    };
  } catch (e) {
    if (pty) await pty.close().catch(() => undefined);
    await world.stop();
    throw e;
  }
}

/** Which edge serves a cell, and its PLMN (for the lab's messages). */
export function describeCell(id: string): string {
  const c = CELLS.find((x) => x.id === id);
  const edge = Object.entries(EDGES).find(([, cells]) => cells.includes(id))?.[0] ?? 'no edge';
  return c ? `cell ${id} (PLMN ${c.plmn}${c.plmn === '24001' ? ', home' : ', visited'}; ${edge})` : `cell ${id}`;
}
