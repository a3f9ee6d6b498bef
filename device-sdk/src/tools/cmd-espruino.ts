// `simedge espruino build`: a firmware's own Espruino bundle, with the modem-MQTT drivers of its
// modems only and without the features it does not use (scripts/build-espruino.ts
// buildFirmwareBundle). On Espruino every byte of the bundle lives in RAM, so a firmware should
// not carry a driver for a modem it does not have, the data budget if it sets none, or the EF_AD
// read of `homePlmn` if it judges roaming by +CEREG stat 5 only. The bundle refuses the options
// of what it was built without (a TypeError from SimEdge.start), never silently ignores them.
// The build tools (esbuild, terser) are imported when the command runs, so `simedge --help` stays fast.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SimedgeError } from '../wire/codes.js';
import type { Group, Io, OptionValues } from './command.js';
import { UsageError } from './command.js';

/** Features a bundle can be built without (`--without`), and the BundleOptions key of each. */
export const OPTIONAL_FEATURES: { [name: string]: 'budget' | 'homePlmn' } = { budget: 'budget', 'home-plmn': 'homePlmn' };
/** Modem families (scripts/build-espruino.ts ESPRUINO_MODEMS); `none`: a firmware transport only. */
export const MODEM_FAMILIES = ['quectel', 'sim7600', 'sim7080', 'sara', 'sara-r4'];

const PATH = ['simedge', 'espruino', 'build'];
const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

function list(v: string, what: string, known: string[]): string[] {
  const items = v.split(',').map((s) => s.trim());
  for (const i of items) if (known.indexOf(i) < 0) throw new UsageError(`${what}: unknown '${i}' (known: ${known.join(', ')})`, PATH);
  return items.filter((x, i) => items.indexOf(x) === i);
}

export const espruinoGroup: Group = {
  kind: 'group',
  name: 'espruino',
  summary: 'build an Espruino bundle of the device SDK for your modem and features',
  children: [
    {
      kind: 'command',
      name: 'build',
      summary: 'build a minified Espruino bundle with only your modem drivers and the features you use',
      options: {
        modem: { type: 'string', placeholder: 'family[,family]', description: `modem-MQTT drivers to carry: ${MODEM_FAMILIES.join(', ')}, or none (a firmware transport only) (required)` },
        without: { type: 'string', placeholder: 'feature[,feature]', description: `leave out: ${Object.keys(OPTIONAL_FEATURES).join(', ')}` },
        iotsafe: { type: 'boolean', description: 'carry the IoT SAFE client (SimEdge.start iotSafe, about 3.3 KB)' },
        out: { type: 'string', short: 'o', placeholder: 'file', description: 'bundle to write, e.g. simedge.min.js (required)' },
        force: { type: 'boolean', description: 'replace an existing file' },
        report: { type: 'boolean', description: 'also print the bytes each source file contributes (before tree shaking and terser)' },
        json: { type: 'boolean', description: 'print the result as JSON' },
      },
      help: [
        'The bundle declares `var SimEdge` and exports it, so it works pasted into the console or as a',
        'module in Storage (require("simedge").SimEdge). Each modem family answers to these dialect names:',
        '  quectel  quectel, bg95, bg96 (QMT)       sim7600  sim7600 (CMQTT)',
        '  sim7080  sim7080 (SM)                    sara     sara, sara-r5 (UMQTT)',
        '  sara-r4  sara-r4 (UMQTT, R410M conventions)',
        'A bundle built without a feature refuses its options with a TypeError from SimEdge.start:',
        '  budget     budgetBytesPerDay, budgetState (about 1.8 KB)',
        '  home-plmn  homePlmn (about 0.5 KB; roaming by +CEREG stat 5 and cell changes stay)',
        '',
        'Example (Espruino Pico + SIM7080G, no data budget, no homePlmn):',
        '  simedge espruino build --modem sim7080 --without budget,home-plmn -o simedge.min.js',
        '',
        'Sizes and what each part costs: device-sdk/docs/firmware-guide.md §2.',
      ].join('\n'),
      async run(v: OptionValues, _args: string[], io: Io) {
        const modemArg = str(v.modem);
        const out = str(v.out);
        if (!modemArg) throw new UsageError('--modem is required (a family, a comma list, or none)', PATH);
        if (!out) throw new UsageError('-o/--out is required', PATH);
        const modems = modemArg === 'none' ? [] : list(modemArg, '--modem', MODEM_FAMILIES);
        const without = str(v.without) === undefined ? [] : list(str(v.without) as string, '--without', Object.keys(OPTIONAL_FEATURES));
        const path = resolve(io.cwd, out);
        if (existsSync(path) && v.force !== true) throw new SimedgeError('OUTPUT_EXISTS', path);
        const opts = { iotSafe: v.iotsafe === true, budget: without.indexOf('budget') < 0, homePlmn: without.indexOf('home-plmn') < 0 };
        if (v.json !== true) io.err(`building the Espruino bundle (${modems.join(', ') || 'no modem driver'}${opts.iotSafe ? ', IoT SAFE' : ''}${without.length ? `; without ${without.join(', ')}` : ''}) …\n`);
        const { buildFirmwareBundle, SIZE_BUDGET, sizeReport } = await import('../../scripts/build-espruino.js');
        const b = await buildFirmwareBundle(modems, opts);
        // A bundle that breaks the Espruino subset is a bug of the SDK, not of the caller.
        if (b.violations.length > 0) throw new Error(`the bundle breaks the Espruino language subset: ${b.violations.map((x) => `${x.rule} at ${x.line}:${x.column}`).join('; ')}`);
        mkdirSync(dirname(path), { recursive: true });
        // Written beside and renamed, so a reader never sees half a bundle.
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, b.code);
        renameSync(tmp, path);
        const over = b.bytes - SIZE_BUDGET;
        if (v.json === true) {
          const modules = v.report === true ? { modules: b.modules } : {};
          io.out(JSON.stringify({ file: path, bytes: b.bytes, budget: SIZE_BUDGET, modems, iotSafe: opts.iotSafe, without, ...modules }) + '\n');
        } else {
          io.out(`wrote ${path}: ${b.bytes} bytes (${over > 0 ? `${over} over` : `${-over} under`} the ${SIZE_BUDGET}-byte budget)\n`);
          if (v.report === true) io.out(sizeReport(b, basename(path)));
        }
        return 0;
      },
    },
  ],
};
