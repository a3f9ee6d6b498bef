// Every vendor dialect's modem-internal MQTT flow end to end, through raw AT bytes, against the
// real embedded broker (aedes): connect (to the host and port the AT commands name), subscribe,
// publish a binary payload full of bytes that break line-based hosts, receive it back byte-exact
// in the dialect's receive URC, then link loss (`modem.dropLink()`) gives the dialect's link-lost
// URC and the broker sees the client go. One contract, every dialect (STYLE #12).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { ModemEmulator, NetworkSim, duplexPair, type DialectName } from '../src/index.js';
import { CELLS, SIM } from './fixtures.js';
import { RawHost } from './raw-host.js';

/** NUL, CR, LF, Ctrl-Z, "> ", 0xFF and a whole "\r\nOK\r\n" inside: byte-exact or bust. */
const PAYLOAD = Uint8Array.of(0x00, 0x0d, 0x0a, 0x1a, 0x3e, 0x20, 0xff, 0x0d, 0x0a, 0x4f, 0x4b, 0x0d, 0x0a, 0x22, 0x2c, 0x01);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

interface Bench { broker: EmbeddedBroker; modem: ModemEmulator; host: RawHost; port: number }
let benches: Bench[] = [];
afterEach(async () => {
  for (const b of benches) { b.modem.close(); await b.broker.close(); }
  benches = [];
});

async function bench(dialect: DialectName): Promise<Bench> {
  const broker = await startEmbeddedBroker();
  const network = new NetworkSim({ cells: CELLS });
  const [modemSide, hostSide] = duplexPair();
  const modem = new ModemEmulator({ sim: SIM, network, cell: 'home-1', dialect, echo: false });
  modem.connect(modemSide);
  const host = new RawHost(hostSide);
  const b = { broker, modem, host, port: broker.port };
  benches.push(b);
  const attached = once(network, 'attach');
  expect(await host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
  await attached;
  return b;
}

/** The broker reports the client `id` gone. */
function disconnected(broker: EmbeddedBroker, id: string): Promise<void> {
  return new Promise((resolve) => {
    broker.aedes.on('clientDisconnect', (c) => { if (c.id === id) resolve(); });
  });
}

const OK = { lines: [], final: 'OK' };

describe('Quectel BG95/BG96 QMT [BG95&BG96 MQTT AN §3]', () => {
  for (const d of ['bg96', 'bg95'] as const) {
    it(`${d}: open, connect, subscribe, binary QMTPUBEX, +QMTRECV byte-exact, +QMTSTAT on link loss`, async () => {
      const { host, port, modem, broker } = await bench(d);
      expect(await host.cmd('AT+QCCID')).toEqual({ lines: [`+QCCID: ${SIM.iccid}`], final: 'OK' });
      expect(await host.cmd('AT+QMTCFG="version",0,4')).toEqual(OK);
      expect(await host.cmd('AT+QMTCFG="keepalive",0')).toEqual({ lines: ['+QMTCFG: "keepalive",120'], final: 'OK' });
      expect(await host.cmd(`AT+QMTOPEN=0,"127.0.0.1",${port}`)).toEqual(OK);
      await host.take(/\r\n\+QMTOPEN: 0,0\r\n/);
      expect(await host.cmd(`AT+QMTOPEN=0,"127.0.0.1",${port}`)).toEqual(OK);
      await host.take(/\r\n\+QMTOPEN: 0,2\r\n/); // identifier in use
      expect(await host.cmd(`AT+QMTCONN=0,"dev-${d}"`)).toEqual(OK);
      await host.take(/\r\n\+QMTCONN: 0,0,0\r\n/);
      expect(await host.cmd('AT+QMTCONN?')).toEqual({ lines: ['+QMTCONN: 0,3'], final: 'OK' });
      expect(await host.cmd(`AT+QMTSUB=0,1,"t/${d}",1`)).toEqual(OK);
      await host.take(/\r\n\+QMTSUB: 0,1,0,1\r\n/);
      expect(await host.withData(`AT+QMTPUBEX=0,2,1,0,"t/${d}",${PAYLOAD.length}`, PAYLOAD)).toEqual(OK);
      await host.take(/\r\n\+QMTPUB: 0,2,0\r\n/);
      const rx = await host.take(new RegExp(`\\r\\n\\+QMTRECV: 0,\\d+,"t/${d}",(\\d+),"`), (m) => Number(m[1]), '"\r\n');
      expect(Number(rx.m[1])).toBe(PAYLOAD.length);
      expect(hex(rx.payload)).toBe(hex(PAYLOAD));
      const gone = disconnected(broker, `dev-${d}`);
      modem.dropLink();
      await host.take(/\r\n\+QMTSTAT: 0,1\r\n/);
      await gone;
      expect(await host.cmd('AT+QMTCONN?')).toEqual(OK);
      expect(await host.cmd('AT+QMTPUBEX=0,3,1,0,"t/x",4')).toEqual({ lines: [], final: 'ERROR' }); // no prompt without a link
    });
  }

  it('"dataformat" receive mode 1: +QMTRECV carries the payload as hex, its length in bytes; hex publishing is refused', async () => {
    const { host, port } = await bench('bg95');
    expect(await host.cmd('AT+QMTCFG="dataformat",0')).toEqual({ lines: ['+QMTCFG: "dataformat",0,0'], final: 'OK' });
    expect(await host.cmd('AT+QMTCFG="dataformat",0,1,1')).toEqual({ lines: [], final: '+CME ERROR: 4' });
    expect(await host.cmd('AT+QMTCFG="dataformat",0,0,1')).toEqual(OK);
    expect(await host.cmd('AT+QMTCFG="dataformat",0')).toEqual({ lines: ['+QMTCFG: "dataformat",0,1'], final: 'OK' });
    expect(await host.cmd(`AT+QMTOPEN=0,"127.0.0.1",${port}`)).toEqual(OK);
    await host.take(/\r\n\+QMTOPEN: 0,0\r\n/);
    expect(await host.cmd('AT+QMTCONN=0,"dev-hex"')).toEqual(OK);
    await host.take(/\r\n\+QMTCONN: 0,0,0\r\n/);
    expect(await host.cmd('AT+QMTSUB=0,1,"t/hex",1')).toEqual(OK);
    await host.take(/\r\n\+QMTSUB: 0,1,0,1\r\n/);
    expect(await host.withData(`AT+QMTPUBEX=0,2,1,0,"t/hex",${PAYLOAD.length}`, PAYLOAD)).toEqual(OK);
    const rx = await host.take(new RegExp(`\\r\\n\\+QMTRECV: 0,\\d+,"t/hex",${PAYLOAD.length},"([0-9A-F]+)"\\r\\n`));
    expect(rx.m[1]).toBe(hex(PAYLOAD));
  });

  it('QMTOPEN before registration reports PDP failure (3); QoS 0 needs msgid 0', async () => {
    const broker = await startEmbeddedBroker();
    const network = new NetworkSim({ cells: CELLS });
    const [a, b] = duplexPair();
    const modem = new ModemEmulator({ sim: SIM, network, cell: 'home-1', dialect: 'bg96', echo: false });
    modem.connect(a);
    benches.push({ broker, modem, host: new RawHost(b), port: broker.port });
    const host = benches[benches.length - 1]!.host;
    expect(await host.cmd(`AT+QMTOPEN=1,"127.0.0.1",${broker.port}`)).toEqual(OK);
    await host.take(/\r\n\+QMTOPEN: 1,3\r\n/);
    expect(await host.cmd('AT+QMTPUBEX=1,5,0,0,"t",4')).toEqual({ lines: [], final: '+CME ERROR: 50' });
  });
});

describe('SIMCom SIM7600 CMQTT [SIM7600 MQTT(S) AT manual §3]', () => {
  it('start, acquire, connect, SUB/TOPIC/PAYLOAD with prompts, RX URC sequence byte-exact, CONNLOST', async () => {
    const { host, port, modem, broker } = await bench('sim7600');
    expect(await host.cmd('AT+CICCID')).toEqual({ lines: [`+ICCID: ${SIM.iccid}`], final: 'OK' });
    expect(await host.cmd('AT+CMQTTSTART')).toEqual(OK);
    await host.take(/\r\n\+CMQTTSTART: 0\r\n/);
    expect(await host.cmd('AT+CMQTTACCQ=0,"dev-7600"')).toEqual(OK);
    expect(await host.cmd(`AT+CMQTTCONNECT=0,"tcp://127.0.0.1:${port}",60,1`)).toEqual(OK);
    await host.take(/\r\n\+CMQTTCONNECT: 0,0\r\n/);
    const topic = 't/s7600';
    expect(await host.withData(`AT+CMQTTSUB=0,${topic.length},1`, Buffer.from(topic))).toEqual(OK);
    await host.take(/\r\n\+CMQTTSUB: 0,0\r\n/);
    expect(await host.withData(`AT+CMQTTTOPIC=0,${topic.length}`, Buffer.from(topic))).toEqual(OK);
    expect(await host.withData(`AT+CMQTTPAYLOAD=0,${PAYLOAD.length}`, PAYLOAD)).toEqual(OK);
    expect(await host.cmd('AT+CMQTTPUB=0,1,60')).toEqual(OK);
    await host.take(/\r\n\+CMQTTPUB: 0,0\r\n/);
    const rx = await host.take(
      /\r\n\+CMQTTRXSTART: 0,7,(\d+)\r\n\r\n\+CMQTTRXTOPIC: 0,7\r\nt\/s7600\r\n\r\n\+CMQTTRXPAYLOAD: 0,(\d+)\r\n/,
      (m) => Number(m[2]), '\r\n\r\n+CMQTTRXEND: 0\r\n');
    expect(Number(rx.m[1])).toBe(PAYLOAD.length);
    expect(hex(rx.payload)).toBe(hex(PAYLOAD));
    expect(await host.cmd('AT+CMQTTPUB=0,1,60')).toEqual({ lines: [], final: 'ERROR' }); // buffers were emptied
    const gone = disconnected(broker, 'dev-7600');
    modem.dropLink();
    await host.take(/\r\n\+CMQTTCONNLOST: 0,1\r\n/);
    await gone;
  });

  it('splits payloads over 1500 bytes into several +CMQTTRXPAYLOAD chunks', async () => {
    const { host, port } = await bench('sim7600');
    expect(await host.cmd('AT+CMQTTSTART')).toEqual(OK);
    expect(await host.cmd('AT+CMQTTACCQ=1,"big"')).toEqual(OK);
    expect(await host.cmd(`AT+CMQTTCONNECT=1,"tcp://127.0.0.1:${port}",60,1`)).toEqual(OK);
    await host.take(/\+CMQTTCONNECT: 1,0\r\n/);
    expect(await host.withData('AT+CMQTTSUB=1,1,0', Buffer.from('b'))).toEqual(OK);
    await host.take(/\+CMQTTSUB: 1,0\r\n/);
    const big = new Uint8Array(3200).map((_, i) => (i * 7) & 0xff);
    expect(await host.withData('AT+CMQTTTOPIC=1,1', Buffer.from('b'))).toEqual(OK);
    expect(await host.withData(`AT+CMQTTPAYLOAD=1,${big.length}`, big)).toEqual(OK);
    expect(await host.cmd('AT+CMQTTPUB=1,0,60')).toEqual(OK);
    await host.take(/\r\n\+CMQTTRXSTART: 1,1,3200\r\n\r\n\+CMQTTRXTOPIC: 1,1\r\nb\r\n/);
    const parts: Uint8Array[] = [];
    for (const n of [1500, 1500, 200]) {
      parts.push((await host.take(new RegExp(`\\r\\n\\+CMQTTRXPAYLOAD: 1,${n}\\r\\n`), () => n, '\r\n')).payload);
    }
    await host.take(/\r\n\+CMQTTRXEND: 1\r\n/);
    expect(hex(Buffer.concat(parts))).toBe(hex(big));
  });
});

describe('SIMCom SIM7080 SM [SIM7080 AT manual §13]', () => {
  it('SMCONF, SMCONN (OK after CONNACK), SMSUB, binary SMPUB, +SMSUB hex with SUBHEX, +SMSTATE: 0 on link loss', async () => {
    const { host, port, modem, broker } = await bench('sim7080');
    expect(await host.cmd('AT+CCID')).toEqual({ lines: [`+CCID: ${SIM.iccid}`], final: 'OK' });
    expect(await host.cmd('AT+SMCONN')).toEqual({ lines: [], final: 'ERROR' }); // no URL yet
    expect(await host.cmd(`AT+SMCONF="URL","127.0.0.1",${port}`)).toEqual(OK);
    expect(await host.cmd('AT+SMCONF="CLIENTID","dev-7080"')).toEqual(OK);
    expect(await host.cmd('AT+SMCONF="KEEPTIME",60')).toEqual(OK);
    expect(await host.cmd('AT+SMCONF="SUBHEX",1')).toEqual(OK);
    expect(await host.cmd('AT+SMSTATE?')).toEqual({ lines: ['+SMSTATE: 0'], final: 'OK' });
    expect(await host.cmd('AT+SMCONN')).toEqual(OK);
    expect(await host.cmd('AT+SMSTATE?')).toEqual({ lines: ['+SMSTATE: 1'], final: 'OK' });
    expect(await host.cmd('AT+SMSUB="t/s7080",1')).toEqual(OK);
    expect(await host.withData(`AT+SMPUB="t/s7080",${PAYLOAD.length},1,0`, PAYLOAD)).toEqual(OK);
    const rx = await host.take(/\r\n\+SMSUB: "t\/s7080","([0-9A-F]*)"\r\n/);
    expect(rx.m[1]).toBe(hex(PAYLOAD));
    const gone = disconnected(broker, 'dev-7080');
    modem.dropLink();
    await host.take(/\r\n\+SMSTATE: 0\r\n/);
    await gone;
    expect(await host.cmd('AT+SMSTATE?')).toEqual({ lines: ['+SMSTATE: 0'], final: 'OK' });
  });
});

describe('u-blox SARA UMQTT [SARA-R5 AT manual §24; SARA-R4 §23]', () => {
  it('sara-r5: profile, login +UUMQTTC: 1,1, subscribe, binary UMQTTC=9, +UUMQTTC: 6,1 and UMQTTC=6 read byte-exact, drop', async () => {
    const { host, port, modem, broker } = await bench('sara-r5');
    expect(await host.cmd('AT+UMQTT=0,"dev-r5"')).toEqual({ lines: ['+UMQTT: 0,1'], final: 'OK' });
    expect(await host.cmd(`AT+UMQTT=2,"127.0.0.1",${port}`)).toEqual({ lines: ['+UMQTT: 2,1'], final: 'OK' });
    expect(await host.cmd('AT+UMQTT=12,1')).toEqual({ lines: ['+UMQTT: 12,1'], final: 'OK' });
    expect(await host.cmd('AT+UMQTTC=1')).toEqual({ lines: ['+UMQTTC: 1,1'], final: 'OK' });
    await host.take(/\r\n\+UUMQTTC: 1,1\r\n/);
    expect(await host.cmd('AT+UMQTTC=4,1,"t/r5"')).toEqual({ lines: ['+UMQTTC: 4,1'], final: 'OK' });
    await host.take(/\r\n\+UUMQTTC: 4,1,1,"t\/r5"\r\n/);
    expect(await host.withData(`AT+UMQTTC=9,1,0,"t/r5",${PAYLOAD.length}`, PAYLOAD)).toEqual({ lines: ['+UMQTTC: 9,1'], final: 'OK' });
    await host.take(/\r\n\+UUMQTTC: 6,1\r\n/);
    host.send('AT+UMQTTC=6\r');
    const rx = await host.take(/\r\n\+UMQTTC: 6,1,4,(\d+),"t\/r5","/, (m) => Number(m[1]), '"\r\n\r\nOK\r\n');
    expect(hex(rx.payload)).toBe(hex(PAYLOAD));
    expect(await host.cmd('AT+UMQTTC=6')).toEqual(OK); // nothing unread any more
    const gone = disconnected(broker, 'dev-r5');
    modem.dropLink();
    await host.take(/\r\n\+UUMQTTC: 0,0\r\n/);
    await gone;
  });

  it('sara-r4 (R410M): login success is +UUMQTTC: 1,0, no binary UMQTTC=9, hex publish, R4 read format', async () => {
    const { host, port } = await bench('sara-r4');
    expect(await host.cmd('AT+UMQTT=0,"dev-r4"')).toEqual({ lines: ['+UMQTT: 0,1'], final: 'OK' });
    expect(await host.cmd(`AT+UMQTT=2,"127.0.0.1",${port}`)).toEqual({ lines: ['+UMQTT: 2,1'], final: 'OK' });
    expect(await host.cmd('AT+UMQTTC=1')).toEqual({ lines: ['+UMQTTC: 1,1'], final: 'OK' });
    await host.take(/\r\n\+UUMQTTC: 1,0\r\n/);
    expect(await host.cmd('AT+UMQTTC=4,0,"t/r4"')).toEqual({ lines: ['+UMQTTC: 4,1'], final: 'OK' });
    await host.take(/\+UUMQTTC: 4,1,0,"t\/r4"\r\n/);
    expect(await host.cmd('AT+UMQTTC=9,0,0,"t/r4",4')).toEqual({ lines: [], final: '+CME ERROR: 4' });
    expect(await host.cmd(`AT+UMQTTC=2,0,0,1,"t/r4","${hex(PAYLOAD)}"`)).toEqual({ lines: ['+UMQTTC: 2,1'], final: 'OK' });
    await host.take(/\r\n\+UUMQTTC: 6,1\r\n/);
    host.send('AT+UMQTTC=6\r');
    const rx = await host.take(/\r\n\+UMQTTC: 6,0,(\d+),4,"t\/r4",(\d+),"/, (m) => Number(m[2]), '"\r\n\r\nOK\r\n');
    expect(Number(rx.m[1])).toBe(4 + PAYLOAD.length);
    expect(hex(rx.payload)).toBe(hex(PAYLOAD));
  });
});

describe('generic dialect and radio loss', () => {
  it('the generic modem has no vendor commands and answers ATI as simedge', async () => {
    const { host } = await bench('generic');
    expect(await host.cmd('AT+QMTOPEN=0,"127.0.0.1",1883')).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('ATI')).toEqual({ lines: ['simedge', 'EMU-27007', 'Revision: 0.1.0'], final: 'OK' });
  });

  it('leaving the network (AT+CFUN=0) drops the modem MQTT link with the link-lost URC', async () => {
    const { host, port, broker } = await bench('bg96');
    expect(await host.cmd('AT+CGMM')).toEqual({ lines: ['BG96'], final: 'OK' });
    expect(await host.cmd(`AT+QMTOPEN=2,"127.0.0.1",${port}`)).toEqual(OK);
    await host.take(/\+QMTOPEN: 2,0\r\n/);
    expect(await host.cmd('AT+QMTCONN=2,"radio"')).toEqual(OK);
    await host.take(/\+QMTCONN: 2,0,0\r\n/);
    const gone = disconnected(broker, 'radio');
    expect(await host.cmd('AT+CFUN=0')).toEqual(OK);
    await host.take(/\r\n\+QMTSTAT: 2,1\r\n/);
    await gone;
  });
});
