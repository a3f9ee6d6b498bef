// The Espruino bundle provisions through core/provisioner.ts, as NodeDevice does (DESIGN.md: the
// flow, roaming, retries with jittered exponential backoff, the per-device data budget). Proven on
// the BUILT bundle in QuickJS with only Espruino's globals, over the scripted Quectel modem
// (test/espruino-modem.ts), whose core answers are decoded and encoded by the Node wire code.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildEspruino, type EspruinoBuild } from '../scripts/build-espruino.js';
import { connectCost, publishCost, REPLY_BYTES, subscribeCost } from '../src/core/budget.js';
import { encodeMsg, type DownMsg, type UpMsg } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import { binStr, coreAnswers, ICCID, IMSI, NONCE, QuectelModem, READY, TEMPLATE } from './espruino-modem.js';
import { espruinoVm, type EspruinoVm } from './espruino-vm.js';

let bundle: EspruinoBuild;
let world: EspruinoVm | undefined;

beforeAll(async () => {
  bundle = await buildEspruino();
});
afterEach(() => {
  world?.dispose();
  world = undefined;
});

/** Firmware in the Espruino subset; every callback reports to the host, numbered where it repeats. */
function firmware(opts: string): string {
  return `
var TPL = ${JSON.stringify(binStr(TEMPLATE))};
var nReady = 0, nRetry = 0;
var se = SimEdge.start({ serial: Serial1, template: TPL, broker: '127.0.0.1:1883', dialect: 'quectel', ${opts}
  onReady: function (r, info) { nReady++; host('ready' + nReady, JSON.stringify({ pid: r.pid, plmn: info.plmn, cell: info.cell, roaming: info.roaming, state: se.state() })); },
  onRoam: function (info) { host('roam', JSON.stringify(info)); },
  onRetry: function (r) { nRetry++; host('retry' + nRetry, JSON.stringify({ why: r.why, attempt: r.attempt, delayMs: r.delayMs, code: r.error.code, rej: r.error.rejCode })); },
  onTerm: function (t) { host('term', JSON.stringify(t)); },
  onError: function (e) { host('error', e.code); }
});
function stop() { se.stop().then(function (terms) { host('stopped', JSON.stringify(terms)); }, function (e) { host('stopped', 'error ' + e.code); }); }`;
}

/** The bundle and the firmware in a fresh VM, wired to a scripted modem (script it before start). */
async function boot(opts: string, script?: (modem: QuectelModem) => void): Promise<{ w: EspruinoVm; modem: QuectelModem }> {
  const w = (world = await espruinoVm());
  const modem = new QuectelModem((s) => w.serialData(s));
  if (script) script(modem);
  w.onSerialWrite = (s) => modem.input(s);
  w.run(bundle.code);
  w.run(firmware(opts));
  return { w, modem };
}

const UP = topics.deviceUp(IMSI).length;
const DOWN = topics.deviceDown(IMSI).length;
const RID = '0'.repeat(16); // the device's rids are 16 hex characters
/** The firmware's first hello and the scripted core's chal, in bytes. */
const HELLO = encodeMsg({ t: 'hello', rid: RID, imsi: IMSI, iccid: ICCID, plmn: '24001', cell: '01A2D101', why: 'on' }).length;
const CHAL = encodeMsg({ t: 'chal', rid: RID, nonce: NONCE, ttl: 60 }).length;
const reply = (k: string): number => publishCost(DOWN, REPLY_BYTES[k] as number, 40);
/** The day's bytes up to and including the hello: CONNECT, SUBSCRIBE, hello + room for its reply. */
const TO_HELLO = connectCost(IMSI.length, 40) + subscribeCost(DOWN, 40) + publishCost(UP, HELLO, 40) + reply('chal');

const hellos = (up: UpMsg[]): Array<Extract<UpMsg, { t: 'hello' }>> => up.filter((m): m is Extract<UpMsg, { t: 'hello' }> => m.t === 'hello');

describe('Espruino bundle: roaming, retries and the data budget (core/provisioner.ts)', () => {
  it('[DESIGN roaming, patent claim 2] re-provisions with why roam on +CEREG stat 5, make-before-break', async () => {
    const { w, modem } = await boot('', (m) => {
      // The core's answers for a move: a new pid on the visited network's edge, then the old pid's term.
      m.core = (msg): DownMsg[] => {
        if (msg.t !== 'prov' || hellos(m.up).length < 2) return coreAnswers(msg);
        return [{ t: 'acc', rid: msg.rid, pid: 'p-2', edge: 'edge-b' }, { ...READY, pid: 'p-2', edge: 'edge-b' } as DownMsg, { t: 'term', pid: 'p-1', why: 'roam' }];
      };
    });
    expect(JSON.parse(await w.waitEvent('ready1', 8000))).toEqual({ pid: 'p-1', plmn: '24001', cell: '01A2D101', roaming: false, state: 'ready' });

    modem.plmn = '24405';
    modem.urc('+CEREG: 5,"0B01","02B3C401",7'); // [TS27.007 §10.1.22] registered, roaming
    expect(JSON.parse(await w.waitEvent('roam', 8000))).toMatchObject({ imsi: IMSI, plmn: '24405', cell: '02B3C401', tac: '0B01', roaming: true });
    expect(JSON.parse(await w.waitEvent('ready2', 8000))).toEqual({ pid: 'p-2', plmn: '24405', cell: '02B3C401', roaming: true, state: 'ready' });
    expect(JSON.parse(await w.waitEvent('term', 8000))).toEqual({ t: 'term', pid: 'p-1', why: 'roam' });

    const h = hellos(modem.up);
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'prov', 'hello', 'prov']);
    expect(h[1]).toMatchObject({ imsi: IMSI, plmn: '24405', cell: '02B3C401', why: 'roam' });
    expect(modem.up[3]).toMatchObject({ t: 'prov', rid: h[1]!.rid, nonce: NONCE, tpl: TEMPLATE });
    expect(modem.commands.filter((c) => c === 'AT+COPS?')).toHaveLength(2); // the visited PLMN read after the URC

    // A URC for the same cell and roaming state is not a move.
    modem.urc('+CEREG: 5,"0B01","02B3C401",7');
    modem.core = (msg): DownMsg[] => (msg.t === 'bye' ? [{ t: 'term', pid: 'p-2', why: 'bye' }] : coreAnswers(msg));
    w.run('stop()');
    expect(JSON.parse(await w.waitEvent('stopped', 8000))).toEqual([{ t: 'term', pid: 'p-2', why: 'bye' }]);
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'prov', 'hello', 'prov', 'bye']);
    expect(w.events.filter((e) => e.name === 'error' || e.name === 'ready3')).toEqual([]);
    expect(modem.commands.slice(-2)).toEqual(['AT+QMTDISC=0', 'AT+CFUN=0']);
  });

  it('[DESIGN retries] retries a retryable rej (NO_EDGE) after a jittered backoff, then succeeds', async () => {
    const { w, modem } = await boot('retry: { baseMs: 20, maxMs: 40, attempts: 2 },', (m) => {
      m.core = (msg): DownMsg[] => (msg.t === 'hello' && hellos(m.up).length === 1 ? [{ t: 'rej', rid: msg.rid, code: 'NO_EDGE', msg: 'no edge' }] : coreAnswers(msg));
    });
    const retry = JSON.parse(await w.waitEvent('retry1', 8000)) as { delayMs: number };
    expect(retry).toMatchObject({ why: 'on', attempt: 1, code: 'REJECTED', rej: 'NO_EDGE' });
    expect(retry.delayMs).toBeGreaterThanOrEqual(10); // equal jitter: half of baseMs fixed
    expect(retry.delayMs).toBeLessThanOrEqual(20);
    expect(JSON.parse(await w.waitEvent('ready1', 8000))).toMatchObject({ pid: 'p-1', state: 'ready' });
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'hello', 'prov']);
    expect(hellos(modem.up)[0]!.rid).not.toBe(hellos(modem.up)[1]!.rid);
    expect(w.events.filter((e) => e.name === 'error' || e.name === 'retry2')).toEqual([]);
  });

  it('[DESIGN retries] retries a transport failure (modem publish failed) after a backoff, then succeeds', async () => {
    const { w, modem } = await boot('retry: { baseMs: 20, maxMs: 40 },', (m) => {
      m.failPublishes = 1; // the first hello never leaves the modem: +QMTPUB result 2
    });
    expect(JSON.parse(await w.waitEvent('retry1', 8000))).toMatchObject({ why: 'on', attempt: 1, code: 'MODEM_MQTT_PUBLISH' });
    expect(JSON.parse(await w.waitEvent('ready1', 8000))).toMatchObject({ pid: 'p-1', state: 'ready' });
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'prov']);
    expect(modem.commands.filter((c) => c.startsWith('AT+QMTPUBEX'))).toHaveLength(3);
    expect(w.events.filter((e) => e.name === 'error')).toEqual([]);
  });

  it('[issue: reconnect on link-loss URCs] comes back after +QMTSTAT: the session re-opens, re-subscribes, says bye and gets its term', async () => {
    const { w, modem } = await boot('');
    expect(JSON.parse(await w.waitEvent('ready1', 8000))).toMatchObject({ pid: 'p-1', state: 'ready' });
    const count = (p: string): number => modem.commands.filter((c) => c.startsWith(p)).length;
    expect([count('AT+QMTOPEN'), count('AT+QMTSUB')]).toEqual([1, 1]);
    modem.urc('+QMTSTAT: 0,1'); // Quectel: the connection was closed or reset by the peer
    // Re-opened at once through the Provisioner's retry loop (the lean session has no loop of its own).
    for (let t = 0; t < 80 && count('AT+QMTSUB') < 2; t++) await new Promise((r) => setTimeout(r, 50));
    expect([count('AT+QMTOPEN'), count('AT+QMTCONN'), count('AT+QMTSUB')]).toEqual([2, 2, 2]);
    // The link works both ways again: the bye goes up and the core's term comes down.
    w.run('stop()');
    expect(JSON.parse(await w.waitEvent('stopped', 8000))).toEqual([{ t: 'term', pid: 'p-1', why: 'bye' }]);
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'prov', 'bye']);
    expect(w.events.filter((e) => e.name === 'error')).toEqual([]);
  });

  it('[DESIGN retries] re-opens a lost link with the retry backoff (onRetry why link) when the first re-open fails', async () => {
    const { w, modem } = await boot('retry: { baseMs: 20 },');
    expect(JSON.parse(await w.waitEvent('ready1', 8000))).toMatchObject({ pid: 'p-1', state: 'ready' });
    const count = (p: string): number => modem.commands.filter((c) => c.startsWith(p)).length;
    modem.failOpens = 1;
    modem.urc('+QMTSTAT: 0,1');
    expect(JSON.parse(await w.waitEvent('retry1', 8000))).toMatchObject({ why: 'link', attempt: 1, code: 'MODEM_MQTT_CONNECT' });
    for (let t = 0; t < 80 && count('AT+QMTSUB') < 2; t++) await new Promise((r) => setTimeout(r, 50));
    expect([count('AT+QMTOPEN'), count('AT+QMTCONN'), count('AT+QMTSUB')]).toEqual([3, 2, 2]);
    w.run('stop()');
    expect(JSON.parse(await w.waitEvent('stopped', 8000))).toEqual([{ t: 'term', pid: 'p-1', why: 'bye' }]);
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'prov', 'bye']);
    expect(w.events.filter((e) => e.name === 'error')).toEqual([]);
  });

  it('[DESIGN data budget] sends the hello only with room for its reply; the prov without room fails before it reaches the modem', async () => {
    // Exactly what the hello needs (core/budget.ts): the MQTT link's CONNECT and SUBSCRIBE, the
    // hello, and the room for its reply (a chal, or a rej, as large as the decoder accepts).
    const dayBefore = Math.floor(Date.now() / 86400000);
    const { w, modem } = await boot(`budgetBytesPerDay: ${TO_HELLO}, retry: { baseMs: 20 },`);
    expect(await w.waitEvent('error', 8000)).toBe('BUDGET_EXCEEDED');
    expect(modem.up.map((m) => m.t)).toEqual(['hello']);
    expect(modem.commands.filter((c) => c.startsWith('AT+QMTPUBEX'))).toHaveLength(1);
    expect(w.events.filter((e) => e.name.startsWith('retry') || e.name.startsWith('ready'))).toEqual([]); // final, not retried
    w.run(`host('budget', JSON.stringify(se.budget()))`);
    const b = JSON.parse(await w.waitEvent('budget', 10)) as { day: number; used: number };
    // Today (UTC day number); a run across midnight may see either day.
    expect([dayBefore, Math.floor(Date.now() / 86400000)]).toContain(b.day);
    // The chal came: its reservation gave way to its actual bytes (smaller); the prov took nothing.
    expect(b.used).toBe(TO_HELLO - reply('chal') + publishCost(DOWN, CHAL, 40));
  });

  it('[DESIGN data budget] one byte less and not even the hello goes out', async () => {
    const { w, modem } = await boot(`budgetBytesPerDay: ${TO_HELLO - 1},`);
    expect(await w.waitEvent('error', 8000)).toBe('BUDGET_EXCEEDED');
    expect(modem.commands.some((c) => c.startsWith('AT+QMTSUB'))).toBe(true);
    expect(modem.commands.some((c) => c.startsWith('AT+QMTPUBEX'))).toBe(false);
  });

  it('[DESIGN data budget] keeps the day count across a reboot (budgetState): not even the MQTT CONNECT fits', async () => {
    const day = Math.floor(Date.now() / 86400000);
    const { w, modem } = await boot(`budgetBytesPerDay: 700, budgetState: { day: ${day}, used: ${700 - connectCost(IMSI.length, 40) + 1} },`);
    expect(await w.waitEvent('error', 8000)).toBe('BUDGET_EXCEEDED');
    expect(modem.commands.some((c) => c.startsWith('AT+QMTOPEN') || c.startsWith('AT+QMTCONN'))).toBe(false);
  });
});
