// A firmware's own Espruino bundle (scripts/build-espruino.ts buildFirmwareBundle, the library
// behind `simedge espruino build`): the driver of its modem only, without the data budget and
// roaming by home PLMN it does not use. For every modem family the SDK drives (issue: "Quectel
// BG95/BG96 (QMT), SIMCom SIM7600 (CMQTT), SIMCom SIM7080 (SM), u-blox SARA-R4/R5 (UMQTT)") the
// built bundle runs FIG. 2 in QuickJS with only Espruino's globals (test/espruino-vm.ts), wired
// byte for byte to the hardware/ modem emulator in that dialect, whose modem-internal MQTT client
// reaches an embedded broker where a scripted core answers (decoded and encoded with the Node wire
// code): attach, provisioning, a move to another cell (re-provisioning with why roam,
// make-before-break), a lost MQTT link (the link-loss URC of that dialect; the bundle re-opens it),
// and switch-off (bye → term, radio off).
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '@simedge/core-validator/broker';
import { ModemEmulator, NetworkSim, duplexPair, type DialectName } from '@simedge/hardware';
import { buildEspruino, buildFirmwareBundle, ESPRUINO_MODEMS, firmwareEntry, leanFlags } from '../scripts/build-espruino.js';
import type { UpMsg } from '../src/wire/messages.js';
import { binStr, TEMPLATE } from './espruino-modem.js';
import { scriptedCore } from './scripted-core.js';
import { espruinoVm, type EspruinoVm } from './espruino-vm.js';

const A = { id: 'cell-a', plmn: '24001', tac: '0A01', ci: '01A2D101' };
const B = { id: 'cell-b', plmn: '24001', tac: '0A01', ci: '01A2D102' };
const SIM = { imsi: '240011234000007', iccid: '8946011234000000707' };

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** Broker, scripted core, two cells and a modem of `dialect`, wired to `code` in a fresh VM. */
async function bench(code: string, dialect: DialectName): Promise<{ modem: ModemEmulator; w: EspruinoVm; up: UpMsg[]; sent: string[] }> {
  const broker = await startEmbeddedBroker();
  stops.push(() => broker.close());
  const up = await scriptedCore(broker.url, SIM.imsi, stops);

  const network = new NetworkSim({ cells: [A, B] });
  const [modemSide, deviceSide] = duplexPair();
  const modem = new ModemEmulator({ sim: SIM, network, cell: A.id, dialect, broker: broker.url });
  modem.connect(modemSide);
  stops.push(() => modem.close());
  const w = await espruinoVm();
  stops.push(() => w.dispose());
  const sent: string[] = [];
  w.onSerialWrite = (s) => {
    sent.push(s);
    deviceSide.write(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  };
  deviceSide.onReadable((b) => w.serialData(binStr(b)));
  w.run(code);
  return { modem, w, up, sent };
}

/** Firmware in the Espruino subset; every callback reports to the host, numbered where it repeats. */
function firmware(dialect: string): string {
  return `
var TPL = ${JSON.stringify(binStr(TEMPLATE))};
var nReady = 0;
var se = SimEdge.start({ serial: Serial1, template: TPL, broker: 'core.example:1883', dialect: '${dialect}',
  timeoutMs: 8000, retry: { attempts: 2, baseMs: 50, maxMs: 100 },
  onReady: function (r, info) { nReady++; host('ready' + nReady, JSON.stringify({ pid: r.pid, cell: info.cell })); },
  onRoam: function (info) { host('roam', info.cell); },
  onTerm: function (t) { host('term-' + t.pid, t.why); },
  onError: function (e) { host('error', e.code); }
});
function stop() { se.stop().then(function (t) { host('stopped', JSON.stringify(t)); }, function (e) { host('stopped', 'error ' + e.code); }); }`;
}

/** Per family: the emulator's dialect, the `dialect` the firmware names, the dialect's connect command. */
const FAMILIES: Array<[string, DialectName, string, string]> = [
  ['quectel', 'bg96', 'bg96', 'AT+QMTCONN='],
  ['sim7600', 'sim7600', 'sim7600', 'AT+CMQTTCONNECT='],
  ['sim7080', 'sim7080', 'sim7080', 'AT+SMCONN'],
  ['sara', 'sara-r5', 'sara-r5', 'AT+UMQTTC=1'],
  ['sara-r4', 'sara-r4', 'sara-r4', 'AT+UMQTTC=1'],
];

describe('a firmware\'s own Espruino bundle: one modem driver, without budget and homePlmn', () => {
  it('the generated entry carries exactly the named drivers under every dialect name of their family', () => {
    const e = firmwareEntry(['quectel', 'sara-r4']);
    expect(e).toContain('new QmtDriver(at, p)');
    expect(e).toContain('new UmqttDriver(at, p, { r410m: true })');
    expect(e).toContain('"bg95": quectel, "bg96": quectel');
    expect(e).not.toContain('SmDriver');
    expect(e).not.toContain('iotSafeProver');
    expect(firmwareEntry([], true)).toContain('iotSafeProver');
    expect(() => firmwareEntry(['nokia'])).toThrow(/unknown modem family nokia/);
    expect(firmwareEntry(['sim7080', 'sim7080']).match(/const sim7080/g)).toHaveLength(1);
    expect(Object.keys(ESPRUINO_MODEMS).sort()).toEqual(FAMILIES.map((f) => f[0]).sort());
  });

  it('sets the lean feature switches from the options, and leaves the other lean switches as they are', () => {
    const f = leanFlags({ budget: false, homePlmn: false, iotSafe: true });
    expect(f).toMatch(/export const BUDGET: [^=]+= false;/);
    expect(f).toMatch(/export const HOMEPLMN: [^=]+= false;/);
    expect(f).toMatch(/export const IOTSAFE: [^=]+= true;/);
    expect(f).toMatch(/export const FULL: [^=]+= false;/);
    expect(leanFlags()).toMatch(/export const BUDGET: [^=]+= true;/);
    expect(leanFlags()).toMatch(/export const IOTSAFE: [^=]+= false;/);
  });

  it('is smaller than the SDK bundle by the features it leaves out, and refuses their options with a TypeError before touching the modem', async () => {
    const [sdk, lean] = await Promise.all([buildEspruino(), buildFirmwareBundle(['quectel'], { budget: false, homePlmn: false })]);
    expect(lean.violations).toEqual([]);
    // The data budget and the EF_AD read of homePlmn are gone (about 2.4 KB).
    expect(sdk.bytes - lean.bytes).toBeGreaterThan(2000);
    expect(sdk.code).toContain('AT+CRSM=176,28589,0,0,4');
    expect(lean.code).not.toContain('AT+CRSM=176,28589,0,0,4');
    const b = await bench(lean.code, 'bg96');
    b.w.run(`
function tryStart(extra) {
  var o = { serial: Serial1, template: 'x', broker: 'core.example:1883', dialect: 'bg96' };
  for (var k in extra) o[k] = extra[k];
  try { SimEdge.start(o); return 'started'; } catch (e) { return e instanceof TypeError ? 'TypeError' : 'other ' + e; }
}
host('budget', tryStart({ budgetBytesPerDay: 100000 }));
host('state', tryStart({ budgetState: { day: 1, used: 0 } }));
host('home', tryStart({ homePlmn: true }));`);
    expect(await b.w.waitEvent('budget', 1000)).toBe('TypeError');
    expect(await b.w.waitEvent('state', 1000)).toBe('TypeError');
    expect(await b.w.waitEvent('home', 1000)).toBe('TypeError');
    expect(b.sent).toEqual([]); // refused before a byte went to the modem
  });

  it.each(FAMILIES)('[FIG. 2, issue: modem-internal MQTT] %s driver (emulated %s): provisions, re-provisions after a move, comes back after link loss, switches off', async (family, dialect, name, connect) => {
    const built = await buildFirmwareBundle([family], { budget: false, homePlmn: false });
    expect(built.violations).toEqual([]);
    const b = await bench(built.code, dialect);
    b.w.run(firmware(name));
    expect(JSON.parse(await b.w.waitEvent('ready1', 15_000))).toEqual({ pid: 'p-1', cell: A.ci });
    const commands = (): string[] => b.sent.join('').split('\r').filter((c) => c.startsWith('AT'));
    expect(commands().some((c) => c.startsWith(connect))).toBe(true);

    // A new cell: onRoam, a provisioning with why roam, the old provision's term (make-before-break).
    b.modem.moveTo(B.id);
    expect(await b.w.waitEvent('roam', 10_000)).toBe(B.ci);
    expect(JSON.parse(await b.w.waitEvent('ready2', 10_000))).toEqual({ pid: 'p-2', cell: B.ci });
    expect(await b.w.waitEvent('term-p-1', 10_000)).toBe('roam');

    // The modem reports the MQTT link lost (its dialect's URC): the bundle re-opens the link.
    const connects = commands().filter((c) => c.startsWith(connect)).length;
    b.modem.dropLink();
    await expect.poll(() => commands().filter((c) => c.startsWith(connect)).length, { timeout: 10_000 }).toBe(connects + 1);

    // Switch-off over the re-opened link: the bye goes up, the term comes down, radio off.
    b.w.run('stop()');
    expect(JSON.parse(await b.w.waitEvent('stopped', 15_000))).toEqual([{ t: 'term', pid: 'p-2', why: 'bye' }]);
    expect(b.up.map((m) => m.t)).toEqual(['hello', 'prov', 'hello', 'prov', 'bye']);
    expect(b.up.filter((m): m is Extract<UpMsg, { t: 'hello' }> => m.t === 'hello').map((h) => h.why)).toEqual(['on', 'roam']);
    expect(commands().at(-1)).toBe('AT+CFUN=0');
    expect(b.w.events.filter((e) => e.name === 'error')).toEqual([]);
  });
});
