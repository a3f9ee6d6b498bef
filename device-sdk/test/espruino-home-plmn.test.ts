// The Espruino bundle's `homePlmn` option (patent claim 2; issue: "roaming detection (stat 5, or
// serving PLMN not the IMSI's home PLMN) triggers re-provisioning at the visited network"): the
// same decision as NodeDevice, from the same sources (core/modem.ts attach reads EF_AD,
// core/lifecycle.ts isRoaming). Proven on the BUILT dist/espruino/simedge.min.js in QuickJS with
// only Espruino's globals (test/espruino-vm.ts), wired byte for byte to the hardware/ modem
// emulator in the bg95 dialect: its SIM lists the visited PLMN as an equivalent home PLMN
// (EF_EHPLMN), so the modem reports +CEREG stat 1 there, as MVNO and national-roaming SIMs do.
// Its modem-internal MQTT client reaches an embedded broker, where a scripted core answers the
// device (decoded and encoded with the Node wire code): a new pid for each prov, and after a
// move the old pid's term (make-before-break).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { ModemEmulator, NetworkSim, duplexPair } from '@simedge/hardware';
import { buildEspruino, type EspruinoBuild } from '../scripts/build-espruino.js';
import type { UpMsg } from '../src/wire/messages.js';
import { binStr, TEMPLATE } from './espruino-modem.js';
import { scriptedCore } from './scripted-core.js';
import { espruinoVm, type EspruinoVm } from './espruino-vm.js';

const HOME = { id: 'home-1', plmn: '24405', tac: '0A01', ci: '01A2D101' };
/** Another operator's network, which this SIM's modem reports as home (stat 1). */
const VISITED = { id: 'visited', plmn: '24001', tac: '0B01', ci: '02B3C401' };
const SIM = { imsi: '244051234567001', iccid: '8935805123456700100', ehplmn: [VISITED.plmn] };
const EF_AD_READ = 'AT+CRSM=176,28589,0,0,4'; // [TS31.102 §4.2.18] EF_AD, byte 4: MNC length

let bundle: EspruinoBuild;
beforeAll(async () => {
  bundle = await buildEspruino();
});

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

interface Bench {
  broker: EmbeddedBroker;
  modem: ModemEmulator;
  /** The device's QuickJS world; `sent` is what it wrote to the modem. */
  w: EspruinoVm & { sent: string[] };
  /** What the modem wrote to the device. */
  rx: string[];
  /** Every up message the scripted core got. */
  up: UpMsg[];
}

/** Broker, scripted core, network (home and visited cell) and a bg95 modem at home, wired to the
 *  bundle in a fresh VM running firmware with `opts`. */
async function bench(opts: string): Promise<Bench> {
  const broker = await startEmbeddedBroker();
  stops.push(() => broker.close());

  const up = await scriptedCore(broker.url, SIM.imsi, stops);

  const network = new NetworkSim({ cells: [HOME, VISITED] });
  const [modemSide, deviceSide] = duplexPair();
  const modem = new ModemEmulator({ sim: SIM, network, cell: HOME.id, dialect: 'bg95', broker: broker.url });
  modem.connect(modemSide);
  stops.push(() => modem.close());

  const w = Object.assign(await espruinoVm(), { sent: [] as string[] });
  stops.push(() => w.dispose());
  w.onSerialWrite = (s) => {
    w.sent.push(s);
    deviceSide.write(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  };
  const rx: string[] = [];
  deviceSide.onReadable((b) => {
    rx.push(binStr(b));
    w.serialData(binStr(b));
  });
  w.run(bundle.code);
  // Firmware in the Espruino subset; every callback reports to the host, numbered where it repeats.
  w.run(`
var TPL = ${JSON.stringify(binStr(TEMPLATE))};
var nReady = 0;
function at(info) { return { plmn: info.plmn, cell: info.cell, roaming: info.roaming, home: info.home }; }
var se = SimEdge.start({ serial: Serial1, template: TPL, broker: 'core.example:1883', dialect: 'quectel', ${opts}
  timeoutMs: 8000, retry: { attempts: 0 },
  onReady: function (r, info) { nReady++; var o = at(info); o.pid = r.pid; host('ready' + nReady, JSON.stringify(o)); },
  onRoam: function (info) { host('roam', JSON.stringify(at(info))); },
  onTerm: function (t) { host('term', JSON.stringify(t)); },
  onError: function (e) { host('error', e.code); }
});
function stop() { se.stop().then(function (t) { host('stopped', JSON.stringify(t)); }, function (e) { host('stopped', 'error ' + e.code); }); }`);
  return { broker, modem, w, rx, up };
}

const commands = (b: Bench): string[] => b.w.sent.join('').split('\r').filter((c) => c.startsWith('AT'));
const hellos = (b: Bench): Array<Extract<UpMsg, { t: 'hello' }>> => b.up.filter((m): m is Extract<UpMsg, { t: 'hello' }> => m.t === 'hello');

/** Switch off and check the device said bye for the provision it holds and got its term. */
async function stopsWith(b: Bench, pid: string): Promise<void> {
  b.w.run('stop()');
  expect(JSON.parse(await b.w.waitEvent('stopped', 10_000))).toEqual([{ t: 'term', pid, why: 'bye' }]);
  expect(b.w.events.filter((e) => e.name === 'error')).toEqual([]);
}

describe('Espruino bundle: homePlmn (roaming by home PLMN, patent claim 2) against the modem emulator', () => {
  it('[patent claim 2, TS27.007 §10.1.22] with homePlmn, a move into another PLMN under +CEREG stat 1 is roaming: onRoam, re-provisioning with why roam', async () => {
    const b = await bench('homePlmn: true,');
    // Attach read the home PLMN: IMSI + the MNC length from EF_AD.
    expect(JSON.parse(await b.w.waitEvent('ready1', 15_000))).toEqual({ pid: 'p-1', plmn: HOME.plmn, cell: HOME.ci, roaming: false, home: HOME.plmn });
    expect(commands(b)).toContain(EF_AD_READ);
    expect(commands(b).indexOf(EF_AD_READ)).toBeLessThan(commands(b).indexOf('AT+CEREG=2'));

    b.modem.moveTo(VISITED.id); // +CEREG: 1,"0B01","02B3C401",7 - the network says home
    expect(JSON.parse(await b.w.waitEvent('roam', 10_000))).toEqual({ plmn: VISITED.plmn, cell: VISITED.ci, roaming: true, home: HOME.plmn });
    expect(JSON.parse(await b.w.waitEvent('ready2', 10_000))).toEqual({ pid: 'p-2', plmn: VISITED.plmn, cell: VISITED.ci, roaming: true, home: HOME.plmn });
    expect(JSON.parse(await b.w.waitEvent('term', 10_000))).toEqual({ t: 'term', pid: 'p-1', why: 'roam' });
    expect(hellos(b).map((h) => [h.why, h.plmn, h.cell])).toEqual([['on', HOME.plmn, HOME.ci], ['roam', VISITED.plmn, VISITED.ci]]);
    // The network never said roaming: stat 1 in the visited PLMN, no stat 5 at all.
    expect(b.rx.join('')).toContain(`+CEREG: 1,"${VISITED.tac}","${VISITED.ci}",7`);
    expect(b.rx.join('')).not.toContain('+CEREG: 5');
    await stopsWith(b, 'p-2');
  });

  it('without homePlmn, the same move under stat 1 is not roaming: the new cell is re-provisioned with roaming false, EF_AD is never read', async () => {
    const b = await bench('');
    expect(JSON.parse(await b.w.waitEvent('ready1', 15_000))).toEqual({ pid: 'p-1', plmn: HOME.plmn, cell: HOME.ci, roaming: false });
    b.modem.moveTo(VISITED.id);
    // A new cell is a move on its own (make-before-break to the cell's edge), as on NodeDevice.
    expect(JSON.parse(await b.w.waitEvent('roam', 10_000))).toEqual({ plmn: VISITED.plmn, cell: VISITED.ci, roaming: false });
    expect(JSON.parse(await b.w.waitEvent('ready2', 10_000))).toEqual({ pid: 'p-2', plmn: VISITED.plmn, cell: VISITED.ci, roaming: false });
    expect(commands(b)).not.toContain(EF_AD_READ);
    await stopsWith(b, 'p-2');
  });

  it('with homePlmn, coming back to the home PLMN is a move out of roaming (roaming false again)', async () => {
    const b = await bench('homePlmn: true,');
    await b.w.waitEvent('ready1', 15_000);
    b.modem.moveTo(VISITED.id);
    expect(JSON.parse(await b.w.waitEvent('ready2', 10_000))).toMatchObject({ pid: 'p-2', roaming: true });
    b.modem.moveTo(HOME.id);
    expect(JSON.parse(await b.w.waitEvent('ready3', 10_000))).toEqual({ pid: 'p-3', plmn: HOME.plmn, cell: HOME.ci, roaming: false, home: HOME.plmn });
    expect(hellos(b).map((h) => h.why)).toEqual(['on', 'roam', 'roam']);
    await stopsWith(b, 'p-3');
  });
});
