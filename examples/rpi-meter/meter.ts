// simedge meter for a Raspberry Pi with a SIMCom SIM7600 HAT (board profile:
// hardware/boards/rpi-sim7600-hat.json). Thin entry (STYLE #11): parse flags, power on through
// NodeDevice (attach, provisioning: FIG. 2 201-207), send one meter reading per period to the
// template's edge `fn` service, and switch off cleanly on SIGINT/SIGTERM (bye → term, radio
// off: 208-210). Every event is one JSON line on stdout, so journald and scripts can read it.
//
// Exit codes: 0 switched off cleanly; 1 a domain failure (no modem, rejected, no term in time),
// printed as {"t":"error",…}; 2 bad usage; 130 a second SIGINT while switching off.
//
//   npx tsx meter.ts --port /dev/ttyUSB2 --broker mqtt://core.operator.example:1883 --template meter.cose
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Dialect } from '@simedge/device-sdk/core';
import { NodeDevice, openSerial } from '@simedge/device-sdk/node';
import { isSimedgeError } from '@simedge/device-sdk/wire';
import { counterSource, fileSource, type MeterSource } from './source.js';

const USAGE = `usage: meter.ts [--port /dev/ttyUSB2] [--broker mqtt://host:1883] [--template meter.cose]
                [--meter-file <path>] [--period <ms>] [--dialect sim7600] [--apn <apn>]

  --port        the modem's AT port (default /dev/ttyUSB2: the HAT's USB AT port; or /dev/serial0)
  --broker      the operator's MQTT broker (default mqtt://127.0.0.1:1883)
  --template    the factory-signed template (default meter.cose beside this file)
  --meter-file  read the meter value (kWh) from this file; default: a simulated counter
  --period      ms between readings (default 60000)
  --dialect     modem family (default sim7600)
  --apn         APN for the PDP context (default: the SIM's)
`;

const out = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const errorOf = (e: unknown): Record<string, unknown> =>
  isSimedgeError(e) ? { t: 'error', code: e.code, detail: e.detail ?? e.message } : { t: 'error', code: 'INTERNAL', detail: String(e) };

async function main(argv: string[]): Promise<number> {
  let v: { [k: string]: string | boolean | undefined };
  try {
    v = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        port: { type: 'string' }, broker: { type: 'string' }, template: { type: 'string' }, 'meter-file': { type: 'string' },
        period: { type: 'string' }, dialect: { type: 'string' }, apn: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const periodMs = Number(v.period ?? 60_000);
  if (!Number.isInteger(periodMs) || periodMs < 10) {
    process.stderr.write(`--period must be a whole number of ms >= 10\n${USAGE}`);
    return 2;
  }
  const templatePath = (v.template as string | undefined) ?? new URL('meter.cose', import.meta.url).pathname;
  let template: Uint8Array;
  try {
    template = new Uint8Array(readFileSync(templatePath));
  } catch (e) {
    out({ t: 'error', code: 'INPUT_UNREADABLE', detail: `${templatePath}: ${(e as Error).message}` });
    return 1;
  }
  const source: MeterSource = typeof v['meter-file'] === 'string' ? fileSource(v['meter-file']) : counterSource();

  let device: NodeDevice;
  try {
    const stream = await openSerial((v.port as string | undefined) ?? '/dev/ttyUSB2');
    device = new NodeDevice({
      stream, template, brokerUrl: (v.broker as string | undefined) ?? 'mqtt://127.0.0.1:1883',
      dialect: ((v.dialect as string | undefined) ?? 'sim7600') as Dialect, apn: v.apn as string | undefined,
    });
  } catch (e) {
    out(errorOf(e));
    return 1;
  }
  device.on('attached', (i) => out({ t: 'attached', imsi: i.imsi, plmn: i.plmn, cell: i.cell, roaming: i.roaming }));
  device.on('term', (t) => out({ t: 'term', pid: t.pid, why: t.why }));
  device.on('error', (e) => out(errorOf(e)));

  // Switch-off is requested by a signal; everything below waits on this promise.
  let requestOff: () => void = () => undefined;
  const offRequested = new Promise<void>((resolve) => { requestOff = resolve; });
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) process.exit(130); // a second signal: give up on the clean switch-off
    stopping = true;
    out({ t: 'signal', sig });
    requestOff();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const ready = await Promise.race([device.powerOn('on'), offRequested.then(() => undefined)]);
    if (!ready) {
      device.close();
      return 0;
    }
    out({ t: 'ready', pid: ready.pid, edge: ready.edge, svc: ready.svc });
  } catch (e) {
    out(errorOf(e));
    device.close();
    return 1;
  }

  // One reading per period, never two at once; a failed reading is reported and the next one tried.
  let n = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const read = (): void => {
    inFlight = (async () => {
      try {
        const kwh = await source();
        n++;
        const result = await device.use('fn', { kwh });
        out({ t: 'reading', n, kwh, result });
      } catch (e) {
        out(errorOf(e));
      }
    })();
  };
  read();
  const timer = setInterval(() => { void inFlight.then(read); }, periodMs);

  await offRequested;
  clearInterval(timer);
  await inFlight;
  try {
    const terms = await device.switchOff();
    out({ t: 'off', terms: terms.length });
    return 0;
  } catch (e) {
    out(errorOf(e));
    device.close();
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`meter: internal error: ${String(e)}\n`);
  process.exit(70);
});
