// The Espruino thermometer (examples/espruino-thermometer) end to end: its main.js and its
// committed SIM7080 bundle run in QuickJS with only what Espruino offers (the stand-in of
// device-sdk/test/espruino-vm.ts: the real Espruino interpreter is not packaged for CI), wired
// byte for byte to the hardware emulator in the sim7080 dialect. The modem's internal MQTT client
// (AT+SMCONN/SMPUB/SMSUB) connects to the real embedded broker, so the REAL core validator and
// edge agent serve the bundle: attach → hello → chal → prov → acc → ready, readings, then the
// button → bye → term and radio off; and a move into a visited network re-provisions with why
// `roam` through the real core (make-before-break: edge-b first, then the old pid's term). Board pins, LEDs, print and E.getTemperature are stubs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemEmulator, duplexPair } from '@simedge/hardware';
import { checkEspruinoSubset } from '../../device-sdk/scripts/espruino-subset.js';
import { espruinoVm, type EspruinoVm } from '../../device-sdk/test/espruino-vm.js';
import { buildThermoBundle, THERMO_BUNDLE } from '../espruino-thermometer/build.js';
import { VISITED_CELL } from '../network-in-a-box/scenario.js';
import { EXAMPLES, HOME_CELL, exampleWorld, leftovers, type ExampleWorld } from './bench-world.js';

const DIR = join(EXAMPLES, 'espruino-thermometer');
const SIM = { imsi: '240011234000101', iccid: '89460112340001010' };
const binStr = (b: Uint8Array): string => String.fromCharCode(...b);

/** What the Pico gives main.js besides Serial1/setTimeout/E.hwRand (already in the VM): stubs that report to the test. */
function boardStubs(template: Uint8Array, board = true): string {
  return `${board ? `
function __pin(name) { return { name: name, write: function (v) { host('pin', name + '=' + (v ? 1 : 0)); } }; }
var B3 = __pin('B3'), B6 = __pin('B6'), B7 = __pin('B7'), BTN = __pin('BTN'), LED1 = __pin('LED1'), LED2 = __pin('LED2');` : ''}
Serial1.setup = function (baud, o) { host('setup', baud + (o.path ? ' path=' + o.path : ' tx=' + o.tx.name + ' rx=' + o.rx.name)); };
var __button;
function setWatch(fn, pin, o) { __button = fn; host('watch', pin.name); }
var __iv = {}, __ivn = 0;
function setInterval(fn, ms) {
  var id = ++__ivn;
  function tick() { if (!__iv[id]) return; __iv[id] = setTimeout(tick, ms); fn(); }
  __iv[id] = setTimeout(tick, ms);
  return id;
}
function clearInterval(id) { var h = __iv[id]; delete __iv[id]; if (h) { try { clearTimeout(h); } catch (e) {} } }
E.getTemperature = function () { return 23.46; };
E.on = function () {};
function print(s) { var t; try { t = JSON.parse(s).t; } catch (e) {} host(t ? 'print:' + t : 'print', s); }
var __tpl = ${JSON.stringify(binStr(template))};
function require(n) {
  if (n === 'simedge') return { SimEdge: SimEdge };
  if (n === 'Storage') return { read: function (f) { return f === 'thermo.cose' ? __tpl : undefined; } };
  throw new Error('Module ' + n + ' not found');
}`;
}

/** main.js with its power-up waits and reading period shortened for the test (each replacement checked). */
function mainForTest(serialPath?: string): string {
  let src = readFileSync(join(DIR, 'main.js'), 'utf8');
  const edits = [['periodMs: 60000', 'periodMs: 150'], ['pwrkeyMs: 1000', 'pwrkeyMs: 1'], ['bootMs: 2500', 'bootMs: 1']];
  if (serialPath) edits.push(['serialPath: undefined', `serialPath: '${serialPath}'`]);
  for (const [from, to] of edits) {
    if (!src.includes(from as string)) throw new Error(`main.js no longer has "${from}"`);
    src = src.replace(from as string, to as string);
  }
  return src;
}

let ex: ExampleWorld | undefined;
let vm: EspruinoVm | undefined;
afterEach(async () => {
  vm?.dispose();
  vm = undefined;
  await ex?.stop();
  ex = undefined;
});


/** The example world, a SIM7080 emulator at the home cell wired to a QuickJS VM running the
 *  thermometer's bundle and main.js on stub board pins. */
async function bootThermometer(linux?: { serialPath: string }) {
  ex = await exampleWorld('espruino-thermometer', SIM);
  const { world } = ex;
  const [modemSide, deviceSide] = duplexPair();
  const modem = new ModemEmulator({ sim: SIM, network: world.network, cell: HOME_CELL, dialect: 'sim7080', broker: world.broker.url });
  modem.connect(modemSide);
  const w = (vm = await espruinoVm());
  w.onSerialWrite = (s) => deviceSide.write(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  deviceSide.onReadable((b) => w.serialData(binStr(b)));
  w.run(readFileSync(THERMO_BUNDLE, 'utf8'));
  w.run(boardStubs(ex.template, !linux));
  w.run(mainForTest(linux?.serialPath));
  return { world, modem, w };
}

describe('examples/espruino-thermometer (QuickJS + sim7080 emulator + real core and edge)', () => {
  it('the committed bundle is a fresh build with the SM driver, and both it and main.js are in the Espruino subset', async () => {
    const fresh = await buildThermoBundle();
    // Compared as a boolean: a diff of two 33 KB one-line files helps nobody; the message says what to do.
    const same = readFileSync(THERMO_BUNDLE, 'utf8') === fresh.code;
    expect(same, 'stale bundle: run npx tsx examples/espruino-thermometer/build.ts').toBe(true);
    expect(fresh.violations).toEqual([]);
    expect(fresh.code).toContain('AT+SMPUB=');
    expect(fresh.code).not.toContain('AT+QMTPUBEX'); // QMT is not carried: the board has a SIM7080
    expect(checkEspruinoSubset(readFileSync(join(DIR, 'main.js'), 'utf8'))).toEqual([]);
  });

  it('[FIG. 2 201-210] powers up, provisions through the real core, reports readings and switches off on the button', async () => {
    const { world, w } = await bootThermometer();

    const ready = JSON.parse(await w.waitEvent('print:ready', 15_000)) as { pid: string; edge: string; svc: Array<{ n: string; ep: string }>; imsi: string; cell: string; roaming: boolean };
    expect(ready).toMatchObject({ edge: 'edge-a', imsi: SIM.imsi, cell: HOME_CELL, roaming: false });
    const fn = ready.svc.find((s) => s.n === 'fn');
    expect(fn?.ep).toMatch(/^http:\/\//);
    expect((await world.core.store.provisions()).find((p) => p.pid === ready.pid)?.state).toBe('COMPLETED');

    const reading = JSON.parse(await w.waitEvent('print:reading', 5000)) as { n: number; celsius: number; pid: string; fn: string };
    expect(reading).toEqual({ t: 'reading', n: 1, celsius: 23.5, pid: ready.pid, fn: fn?.ep });
    // The endpoint the device was given is the live edge function of its template (fn.js).
    const res = await fetch(reading.fn, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ celsius: reading.celsius }) });
    expect(await res.json()).toEqual({ n: 1, avg: 23.5, alert: false });

    w.run('__button()');
    expect(JSON.parse(await w.waitEvent('print:off', 10_000))).toEqual({ t: 'off', terms: 1 });
    expect(JSON.parse(await w.waitEvent('print:term', 10))).toEqual({ t: 'term', pid: ready.pid, why: 'bye' });
    await world.core.idle();
    expect(await leftovers(world)).toEqual({ instances: 0, live: 0 });
    expect(world.network.sessions()).toEqual([]); // AT+CFUN=0 detached the modem
    expect(w.events.filter((e) => e.name === 'print:error')).toEqual([]);
    expect(w.events.find((e) => e.name === 'setup')?.text).toBe('115200 tx=B6 rx=B7');
    expect(w.events.filter((e) => e.name === 'pin' && e.text.startsWith('B3=')).map((e) => e.text)).toEqual(['B3=1', 'B3=0']);
  });

  it('runs as on Espruino\'s Linux build: no board pins, the serial port opened by path, provisions and switches off', async () => {
    const { w } = await bootThermometer({ serialPath: '/dev/pts/7' });
    const ready = JSON.parse(await w.waitEvent('print:ready', 15_000)) as { edge: string; imsi: string };
    expect(ready).toMatchObject({ edge: 'edge-a', imsi: SIM.imsi });
    expect(w.events.find((e) => e.name === 'setup')?.text).toBe('115200 path=/dev/pts/7');
    w.run('switchOff()');
    expect(JSON.parse(await w.waitEvent('print:off', 10_000))).toEqual({ t: 'off', terms: 1 });
    expect(w.events.filter((e) => e.name === 'pin' || e.name === 'watch' || e.name === 'print:error')).toEqual([]);
  });

  it('[DESIGN roaming] re-provisions in the visited network through the real core and edge-b, then switches off', async () => {
    const { world, modem, w } = await bootThermometer();

    type Ready = { pid: string; edge: string; cell: string; roaming: boolean };
    const first = JSON.parse(await w.waitEvent('print:ready', 15_000)) as Ready;
    expect(first).toMatchObject({ edge: 'edge-a', cell: HOME_CELL, roaming: false });

    modem.moveTo(VISITED_CELL); // +CEREG: 5 in the visited PLMN
    expect(JSON.parse(await w.waitEvent('print:roam', 10_000))).toEqual({ t: 'roam', plmn: '24405', cell: VISITED_CELL, roaming: true });
    const second = JSON.parse(await w.waitEvent('print:ready', 15_000, (t) => (JSON.parse(t) as Ready).pid !== first.pid)) as Ready;
    expect(second).toMatchObject({ edge: 'edge-b', cell: VISITED_CELL, roaming: true });
    expect(JSON.parse(await w.waitEvent('print:term', 10_000))).toMatchObject({ t: 'term', pid: first.pid });
    expect(JSON.parse(await w.waitEvent('print:reading', 5000, (t) => (JSON.parse(t) as { pid: string }).pid === second.pid))).toMatchObject({ pid: second.pid });

    w.run('__button()');
    expect(JSON.parse(await w.waitEvent('print:off', 10_000))).toEqual({ t: 'off', terms: 1 });
    expect(w.events.filter((e) => e.name === 'print:term').map((e) => JSON.parse(e.text) as { pid: string; why: string }))
      .toEqual([expect.objectContaining({ pid: first.pid }), { t: 'term', pid: second.pid, why: 'bye' }]);
    await world.core.idle();
    expect(await leftovers(world)).toEqual({ instances: 0, live: 0 });
    expect(world.network.sessions()).toEqual([]);
    expect(w.events.filter((e) => e.name === 'print:error')).toEqual([]);
  });
});
