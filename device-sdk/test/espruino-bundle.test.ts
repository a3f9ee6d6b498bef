// The Espruino bundle runs FIG. 2 end to end in QuickJS without Node globals (a stand-in for the
// Espruino interpreter, which is not packaged here): attach → hello → chal → prov → acc → ready →
// bye → term, over a scripted Quectel modem (QMT, modem-internal MQTT) and over a generic 27.007
// modem with a transport the firmware provides. The core is simulated by the scripts
// (test/espruino-modem.ts), which decode what the device sends with the Node wire decoder.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildEspruino, type EspruinoBuild } from '../scripts/build-espruino.js';
import { encodeCbor } from '../src/wire/cbor.js';
import { decodeUp, encodeMsg, type UpMsg } from '../src/wire/messages.js';
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

/** A transport of the firmware's own, in the Espruino subset: publishes go to the host's
 *  corePublish (hex), down messages come back through deliver(hex). */
function firmwareTransport(announce: boolean): string {
  return `
var down;
function hexOf(b) { var s = ''; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
function deliver(h) { var b = new Uint8Array(h.length / 2); for (var i = 0; i < b.length; i++) b[i] = parseInt(h.substr(2 * i, 2), 16); down(b); }
var transport = {
  publish: function (topic, bytes) { corePublish(hexOf(bytes)); return Promise.resolve(); },
  subscribe: function (topic, fn) { ${announce ? "host('subscribed', topic); " : ''}down = fn; return Promise.resolve(); }
};`;
}

/** Firmware code as a user would write it on Espruino (ES5-ish, callbacks report to the host). */
function firmware(opts: string): string {
  return `
var TPL = ${JSON.stringify(binStr(TEMPLATE))};
var se = SimEdge.start({ serial: Serial1, template: TPL, ${opts}
  onReady: function (r, info) {
    host('ready', JSON.stringify({ r: r, imsi: info.imsi, iccid: info.iccid, state: se.state() }));
    se.stop().then(function (terms) { host('stopped', JSON.stringify(terms)); }, function (e) { host('error', 'stop ' + e.code); });
  },
  onTerm: function (t) { host('term', JSON.stringify(t)); },
  onError: function (e) { host('error', e.code + ' ' + e.message); }
});`;
}

describe('Espruino bundle in QuickJS (no Node globals)', () => {
  it('[FIG. 2 201-210] runs attach and provisioning over a Quectel modem with QMT MQTT', async () => {
    const w = (world = await espruinoVm());
    const modem = new QuectelModem((s) => w.serialData(s));
    w.onSerialWrite = (s) => modem.input(s);
    w.run(bundle.code);
    w.run(firmware(`broker: '127.0.0.1:1883', dialect: 'quectel',`));

    const ready = JSON.parse(await w.waitEvent('ready', 8000)) as { r: unknown; imsi: string; iccid: string; state: string };
    expect(ready).toEqual({ r: READY, imsi: IMSI, iccid: ICCID, state: 'ready' });
    const terms = JSON.parse(await w.waitEvent('stopped', 8000)) as unknown[];
    expect(terms).toEqual([{ t: 'term', pid: 'p-1', why: 'bye' }]);
    expect(w.events.filter((e) => e.name === 'error')).toEqual([]);

    // What the core saw, decoded by the Node wire decoder: FIG. 2 steps 203 and 208.
    expect(modem.up.map((m) => m.t)).toEqual(['hello', 'prov', 'bye']);
    const [hello, prov, bye] = modem.up as [Extract<UpMsg, { t: 'hello' }>, Extract<UpMsg, { t: 'prov' }>, Extract<UpMsg, { t: 'bye' }>];
    expect(hello).toMatchObject({ imsi: IMSI, iccid: ICCID, plmn: '24001', cell: '01A2D101', why: 'on' });
    expect(hello.rid).toMatch(/^[0-9a-f]{16}$/);
    expect(prov).toEqual({ t: 'prov', rid: hello.rid, imsi: IMSI, nonce: NONCE, tpl: TEMPLATE });
    expect(bye).toMatchObject({ t: 'bye', imsi: IMSI, why: 'off' });
    // The device's bytes are the deterministic encoding the Node SDK would send.
    modem.upBytes.forEach((b, i) => expect(b).toEqual(encodeMsg(modem.up[i]!)));

    const cmds = modem.commands;
    expect(cmds.slice(0, 5)).toEqual(['ATE0', 'AT+CFUN=1', 'AT+CPIN?', 'AT+CIMI', 'AT+QCCID']);
    expect(cmds).toContain(`AT+QMTCONN=0,"${IMSI}"`);
    expect(cmds).toContain(`AT+QMTSUB=0,1,"simedge/v1/d/${IMSI}/down",1`);
    expect(cmds.slice(-2)).toEqual(['AT+QMTDISC=0', 'AT+CFUN=0']);
  });

  it('[TS27.007] runs over a generic modem with a transport the firmware provides', async () => {
    const w = (world = await espruinoVm());
    const modem = new QuectelModem((s) => w.serialData(s));
    w.onSerialWrite = (s) => modem.input(s);
    const seen: UpMsg[] = [];
    // The firmware's own MQTT (here: host functions) carries hex strings across the VM boundary.
    const { vm } = w;
    const pub = vm.newFunction('corePublish', (hexH) => {
      const bytes = Uint8Array.from(Buffer.from(vm.getString(hexH!), 'hex'));
      const m = decodeUp(bytes);
      seen.push(m);
      setImmediate(() => {
        for (const d of coreAnswers(m)) w.run(`deliver(${JSON.stringify(Buffer.from(encodeMsg(d)).toString('hex'))})`);
      });
      return undefined;
    });
    vm.setProp(vm.global, 'corePublish', pub);
    pub.dispose();
    w.run(bundle.code);
    w.run(firmwareTransport(true) + firmware(`dialect: 'generic', transport: transport,`));

    expect(JSON.parse(await w.waitEvent('ready', 8000))).toMatchObject({ r: READY, imsi: IMSI });
    expect(JSON.parse(await w.waitEvent('stopped', 8000))).toEqual([{ t: 'term', pid: 'p-1', why: 'bye' }]);
    expect(await w.waitEvent('subscribed', 10)).toBe(`simedge/v1/d/${IMSI}/down`);
    expect(seen.map((m) => m.t)).toEqual(['hello', 'prov', 'bye']);
    expect(modem.commands).toContain('AT+CCID'); // the generic ICCID command, no QMT
    expect(modem.commands.some((c) => c.startsWith('AT+QMT'))).toBe(false);
  });

  it('[RFC8949] ignores hostile down messages (lean CBOR profile and field checks) and still provisions', async () => {
    const w = (world = await espruinoVm());
    const modem = new QuectelModem((s) => w.serialData(s));
    w.onSerialWrite = (s) => modem.input(s);
    const seen: UpMsg[] = [];
    const { vm } = w;
    const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
    const pub = vm.newFunction('corePublish', (hexH) => {
      const m = decodeUp(Uint8Array.from(Buffer.from(vm.getString(hexH!), 'hex')));
      seen.push(m);
      const down: Uint8Array[] = [];
      if (m.t === 'hello') {
        // Each of these would, if accepted, answer the hello with a wrong nonce (visible in prov).
        const bad = { t: 'chal', rid: m.rid, nonce: new Uint8Array(16).fill(0xee), ttl: 60 };
        down.push(
          cat(new Uint8Array([0xc0]), encodeMsg(bad as never)), // a tag [RFC8949 §3.4]
          cat(encodeMsg(bad as never), new Uint8Array([0])), // trailing bytes
          encodeCbor({ ...bad, ttl: 1.5 }), // a float
          encodeCbor({ ...bad, nonce: new Uint8Array(40) }), // a nonce beyond 32 bytes
          cat(new Uint8Array([0xa5]), ...['t', 'chal', 'rid', m.rid, 'nonce', NONCE, 'nonce', bad.nonce, 'ttl', 60].map((v) => encodeCbor(v))), // a duplicate key
          encodeMsg(bad as never).subarray(0, 20), // truncated
        );
      }
      for (const d of coreAnswers(m)) down.push(encodeMsg(d));
      setImmediate(() => {
        for (const b of down) w.run(`deliver(${JSON.stringify(Buffer.from(b).toString('hex'))})`);
      });
      return undefined;
    });
    vm.setProp(vm.global, 'corePublish', pub);
    pub.dispose();
    w.run(bundle.code);
    w.run(firmwareTransport(false) + firmware(`dialect: 'generic', transport: transport,`));

    expect(JSON.parse(await w.waitEvent('ready', 8000))).toMatchObject({ r: READY, imsi: IMSI });
    await w.waitEvent('stopped', 8000);
    expect(seen.map((m) => m.t)).toEqual(['hello', 'prov', 'bye']);
    expect((seen[1] as Extract<UpMsg, { t: 'prov' }>).nonce).toEqual(NONCE);
    expect(w.events.filter((e) => e.name === 'error')).toEqual([]);
  });

  it('[lean build] refuses a QMT firmware without hex payloads with MODEM_MQTT_CONNECT, not silently', async () => {
    const w = (world = await espruinoVm());
    const modem = new QuectelModem((s) => w.serialData(s), false); // AT+QMTCFG="dataformat" answers ERROR
    w.onSerialWrite = (s) => modem.input(s);
    w.run(bundle.code);
    w.run(`SimEdge.start({ serial: Serial1, template: 'x', broker: '127.0.0.1:1883', dialect: 'quectel',
      onError: function (e) { host('error', e.code); } });`);
    expect(await w.waitEvent('error', 8000)).toBe('MODEM_MQTT_CONNECT');
    expect(modem.commands).toContain('AT+QMTCFG="dataformat",0,0,1');
    expect(modem.commands.some((c) => c.startsWith('AT+QMTOPEN'))).toBe(false);
  });

  it('reports a modem without an answer through onError with a stable code, not a throw', async () => {
    const w = (world = await espruinoVm());
    w.onSerialWrite = () => undefined; // a dead modem
    w.run(bundle.code);
    w.run(`SimEdge.start({ serial: Serial1, template: 'x', broker: '127.0.0.1', atTimeoutMs: 50,
      onError: function (e) { host('error', e.code + '|' + (e instanceof Error) + '|' + e.name); } });`);
    expect(await w.waitEvent('error', 8000)).toBe('AT_TIMEOUT|true|SimedgeError');
  });

  it('exports SimEdge when loaded as a module (require of a Storage file)', async () => {
    const w = (world = await espruinoVm());
    w.run(`var exportsObj = {}; (function (exports) {\n${bundle.code}\n})(exportsObj); host('v', exportsObj.SimEdge.version + ' ' + typeof exportsObj.SimEdge.start);`);
    expect(await w.waitEvent('v', 10)).toBe('0.1.0 function');
  });
});
