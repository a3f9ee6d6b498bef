// NodeDevice end to end on the device side: a modem scripted in the test (in-memory pair), a real
// aedes broker, a real local HTTP service, and the core validator simulated by an MQTT client in
// this test (the real core is exercised end to end in test/e2e; here we check the device's half:
// attach, provisioning, use, roaming with make-before-break, switch-off, traces).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { NodeDevice, connectMqtt, endMqtt, openSerial, type MqttClient, type NodeDeviceEvents } from '../src/adapter/node/index.js';
import { connectCost, subscribeCost } from '../src/core/budget.js';
import type { AttachInfo } from '../src/core/modem.js';
import { decodeUp, encodeMsg, type DevReady, type DownMsg, type Term } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import type { TraceEvent } from '../src/wire/trace.js';
import { memoryPair, OK, reply, ScriptedModem } from './core-pair.js';

const IMSI = '240011234000001';
const ICCID = '89460112340000010';
const TPL = new Uint8Array([0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27]);

/** Radio state of the scripted modem; moveTo() changes it and sends the +CEREG URC. */
class Radio {
  plmn = '24001';
  stat = 1;
  tac = '0A01';
  ci = '01A2D101';
  cereg(): string {
    return `+CEREG: ${this.stat},"${this.tac}","${this.ci}",7`;
  }
}

function startModem(radio: Radio) {
  const [deviceSide, modemSide] = memoryPair();
  const modem = new ScriptedModem(modemSide, (cmd) => {
    switch (cmd) {
      case 'ATE0': case 'AT+CFUN=1': case 'AT+CFUN=0': case 'AT+CEREG=2': case 'AT+COPS=3,2': case 'AT+CGATT=1': return OK;
      case 'AT+CPIN?': return reply('+CPIN: READY', 'OK');
      case 'AT+CIMI': return reply(IMSI, 'OK');
      case 'AT+CCID': return reply(`+CCID: ${ICCID}`, 'OK');
      case 'AT+CEREG?': return reply(`+CEREG: 2,${radio.cereg().slice('+CEREG: '.length)}`, 'OK');
      case 'AT+COPS?': return reply(`+COPS: 0,2,"${radio.plmn}",7`, 'OK');
      default: return reply('ERROR');
    }
  });
  return { deviceSide, modem };
}

/** The simulated core: answers hello/prov/bye; on a roam it terminates the previous pid. */
async function startCore(brokerUrl: string, svcBase: string, mode: { reject?: string; rejectFirst?: number; silentBye?: boolean } = {}) {
  const client: MqttClient = await connectMqtt(brokerUrl, { clientId: 'sim-core' });
  const live: string[] = [];
  let n = 0;
  const down = (m: DownMsg) => client.publish(topics.deviceDown(IMSI), Buffer.from(encodeMsg(m)), { qos: 1 });
  client.on('message', (_topic, payload) => {
    const m = decodeUp(new Uint8Array(payload));
    if (m.t === 'hello') {
      if (mode.reject && (mode.rejectFirst === undefined || mode.rejectFirst-- > 0)) return down({ t: 'rej', rid: m.rid, code: mode.reject, msg: 'rejected by test' });
      down({ t: 'chal', rid: m.rid, nonce: new Uint8Array(16).fill(1), ttl: 30 });
    } else if (m.t === 'prov') {
      const pid = `p${++n}`;
      const edge = n === 1 ? 'edge-a' : 'edge-b';
      const old = live.splice(0);
      live.push(pid);
      down({ t: 'acc', rid: m.rid, pid, edge });
      down({ t: 'ready', pid, edge, svc: [{ n: 'fn', ep: `${svcBase}/fn` }, { n: 'bad', ep: `${svcBase}/fail` }] });
      for (const o of old) down({ t: 'term', pid: o, why: 'roamed' }); // make-before-break
    } else if (!mode.silentBye) {
      for (const pid of live.splice(0)) down({ t: 'term', pid, why: 'bye' });
    }
  });
  await client.subscribeAsync(topics.deviceUp(IMSI), { qos: 1 });
  return client;
}

type Ev = 'ready' | 'term' | 'roamed';
type Payload<K extends Ev> = NodeDeviceEvents[K][0];
function once<K extends Ev>(dev: NodeDevice, ev: K, pred: (v: Payload<K>) => boolean = () => true): Promise<Payload<K>> {
  return new Promise((resolve) => {
    const on = (v: Payload<K>) => {
      if (!pred(v)) return;
      dev.off(ev, listener);
      resolve(v);
    };
    // @types/node cannot index its event map with a generic key; the cast only restates on's type.
    const listener = on as Parameters<NodeDevice['on']>[1];
    dev.on(ev, listener);
  });
}

describe('NodeDevice', () => {
  let broker: EmbeddedBroker;
  let http: Server;
  let svcBase: string;
  let core: MqttClient | undefined;
  let device: NodeDevice | undefined;
  const requests: Array<{ url?: string; ct?: string; body: string }> = [];

  beforeEach(async () => {
    broker = await startEmbeddedBroker();
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ url: req.url, ct: req.headers['content-type'], body });
        if (req.url === '/fn') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ echo: JSON.parse(body) as unknown, n: requests.length }));
        } else {
          res.writeHead(500);
          res.end('boom');
        }
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    svcBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    requests.length = 0;
  });

  afterEach(async () => {
    device?.close();
    device = undefined;
    if (core) await endMqtt(core);
    core = undefined;
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await broker.close();
  });

  it('powers on, uses its service, roams make-before-break and switches off (201-210)', async () => {
    const radio = new Radio();
    const { deviceSide, modem } = startModem(radio);
    core = await startCore(broker.url, svcBase);
    const events: TraceEvent[] = [];
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, trace: (e) => events.push(e), timeoutMs: 5000 });
    const attached: AttachInfo[] = [];
    device.on('attached', (a) => attached.push(a));

    const ready = await device.powerOn();
    expect(ready).toMatchObject({ pid: 'p1', edge: 'edge-a' });
    expect(device.imsi).toBe(IMSI);
    expect(device.ready).toEqual(ready);
    expect(attached).toEqual([{ imsi: IMSI, iccid: ICCID, plmn: '24001', cell: '01A2D101', tac: '0A01', ci: '01A2D101', roaming: false }]);

    // 207: use the service over HTTP
    await expect(device.use('fn', { celsius: 21.5 })).resolves.toEqual({ echo: { celsius: 21.5 }, n: 1 });
    expect(requests[0]).toEqual({ url: '/fn', ct: 'application/json', body: '{"celsius":21.5}' });
    await expect(device.use('bad', {})).rejects.toMatchObject({ code: 'SERVICE_ERROR', detail: '500 boom' });
    await expect(device.use('nope', {})).rejects.toMatchObject({ code: 'SERVICE_ERROR', detail: 'no endpoint for service nope' });

    // Roaming (claim 2): new registration in a visited network → hello(roam) → new ready, then term of the old pid.
    const roamed = once(device, 'roamed');
    const newReady = once(device, 'ready', (r) => r.pid === 'p2');
    const oldTerm = once(device, 'term', (t) => t.pid === 'p1');
    Object.assign(radio, { plmn: '24405', stat: 5, tac: '0C03', ci: '02C4F301' });
    modem.urc(radio.cereg());
    await expect(roamed).resolves.toEqual({ imsi: IMSI, iccid: ICCID, plmn: '24405', cell: '02C4F301', tac: '0C03', ci: '02C4F301', roaming: true });
    await expect(newReady).resolves.toMatchObject({ pid: 'p2', edge: 'edge-b' });
    await expect(oldTerm).resolves.toEqual({ t: 'term', pid: 'p1', why: 'roamed' });
    expect(device.ready?.pid).toBe('p2');

    // 208-210: bye, term, radio off
    await expect(device.switchOff()).resolves.toEqual([{ t: 'term', pid: 'p2', why: 'bye' }]);
    expect(modem.commands.at(-1)).toBe('AT+CFUN=0');
    expect(device.ready).toBeUndefined();

    const steps = [...new Set(events.map((e) => e.step).filter((s) => s !== undefined))].sort();
    expect(steps).toEqual([201, 202, 203, 204, 207, 208, 210]);
    expect(events.every((e) => e.actor === `device:${IMSI}` && e.imsi === IMSI)).toBe(true);
    expect(events.filter((e) => e.ev === 'hello').map((e) => e.detail)).toEqual([
      'why=on cell=01A2D101 plmn=24001', 'why=roam cell=02C4F301 plmn=24405',
    ]);
  });

  it('re-provisions once per real change: a repeated cell and searching are ignored', async () => {
    const radio = new Radio();
    const { deviceSide, modem } = startModem(radio);
    core = await startCore(broker.url, svcBase);
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, timeoutMs: 5000 });
    await device.powerOn();
    const roams: AttachInfo[] = [];
    device.on('roamed', (a) => roams.push(a));
    modem.urc(radio.cereg()); // same cell again
    modem.urc('+CEREG: 2'); // searching: nothing to do until registered again
    // A real change afterwards: URCs are handled in order, so once it is seen the others were too.
    Object.assign(radio, { tac: '0B02', ci: '01B3E201' });
    const ready = once(device, 'ready', (r) => r.pid === 'p2');
    modem.urc(radio.cereg());
    await ready;
    expect(roams.map((r) => `${r.cell}/${r.roaming}`)).toEqual(['01B3E201/false']);
    expect(modem.commands.filter((c) => c === 'AT+COPS?')).toHaveLength(2);
    await expect(device.switchOff()).resolves.toHaveLength(1);
  });

  it('powerOn rejects with REJECTED when the core refuses, and can be retried', async () => {
    const radio = new Radio();
    const { deviceSide } = startModem(radio);
    core = await startCore(broker.url, svcBase, { reject: 'UNKNOWN_IMSI' });
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, timeoutMs: 5000 });
    await expect(device.powerOn()).rejects.toMatchObject({ code: 'REJECTED', rejCode: 'UNKNOWN_IMSI' });
    expect(device.ready).toBeUndefined();
    await endMqtt(core);
    core = await startCore(broker.url, svcBase);
    await expect(device.powerOn('reset')).resolves.toMatchObject({ pid: 'p1' });
  });

  it('retries a retryable rej (NO_EDGE) with backoff when asked to, and says so with `retry`', async () => {
    const { deviceSide } = startModem(new Radio());
    core = await startCore(broker.url, svcBase, { reject: 'NO_EDGE', rejectFirst: 2 });
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, timeoutMs: 5000, retry: { baseMs: 10, maxMs: 40, attempts: 3 } });
    const retries: number[] = [];
    device.on('retry', (r) => retries.push(r.attempt));
    await expect(device.powerOn()).resolves.toMatchObject({ pid: 'p1' });
    expect(retries).toEqual([1, 2]);
  });

  it('counts its provisioning bytes against the data budget', async () => {
    const { deviceSide } = startModem(new Radio());
    core = await startCore(broker.url, svcBase);
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, timeoutMs: 5000, budget: { bytesPerDay: 100_000 } });
    await device.powerOn();
    const used = device.budget?.used() ?? 0;
    expect(used).toBeGreaterThan(4 * 40); // at least subscribe, hello, prov and their replies
    expect(used).toBeLessThan(2000);
    await device.switchOff();
    expect(device.budget?.used()).toBeGreaterThan(used); // bye and term counted too
    const afterOff = device.budget?.used() ?? 0;
    await device.powerOn('reset');
    expect(device.budget?.used(), 'a power cycle does not reset the day').toBeGreaterThan(afterOff + used / 2);
  });

  it('meters the MQTT link: a CONNECT that does not fit is refused before connecting [MQTT-3.1]', async () => {
    const { deviceSide } = startModem(new Radio());
    core = await startCore(broker.url, svcBase);
    const hellos: number[] = [];
    core.on('message', () => hellos.push(1));
    const connect = connectCost(IMSI.length, 40);
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, timeoutMs: 5000, budget: { bytesPerDay: connect - 1 } });
    await expect(device.powerOn()).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(device.budget?.used()).toBe(0);
    expect(hellos).toEqual([]);
    device.close();
    // With room for it, the CONNECT (and the DISCONNECT at switch-off) is counted.
    const { deviceSide: again } = startModem(new Radio());
    device = new NodeDevice({ stream: again, brokerUrl: broker.url, template: TPL, timeoutMs: 5000, budget: { bytesPerDay: 100_000 } });
    await device.powerOn();
    const used = device.budget?.used() ?? 0;
    expect(used).toBeGreaterThan(connect + subscribeCost(topics.deviceDown(IMSI).length, 40));
    await device.switchOff();
    expect(device.budget?.used()).toBeGreaterThanOrEqual(used + 2 + 40);
  });

  it('powerOff: when the core never sends term, it still detaches and reports the unacknowledged pid', async () => {
    const { deviceSide, modem } = startModem(new Radio());
    core = await startCore(broker.url, svcBase, { silentBye: true });
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL, timeoutMs: 5000, byeTimeoutMs: 100 });
    await device.powerOn();
    const r = await device.powerOff();
    expect(r).toMatchObject({ terms: [], unacked: ['p1'], error: { code: 'TIMEOUT' } });
    expect(modem.commands.at(-1)).toBe('AT+CFUN=0');
    await expect(device.powerOn('reset')).resolves.toMatchObject({ pid: 'p2' }); // off, so it can power on again
    await expect(device.switchOff()).rejects.toMatchObject({ code: 'TIMEOUT', detail: 'no term for p2' });
    expect(modem.commands.at(-1)).toBe('AT+CFUN=0');
  });

  it('use before powerOn fails with SERVICE_ERROR', async () => {
    const { deviceSide } = startModem(new Radio());
    device = new NodeDevice({ stream: deviceSide, brokerUrl: broker.url, template: TPL });
    await expect(device.use('fn', {})).rejects.toMatchObject({ code: 'SERVICE_ERROR' });
  });
});

describe('openSerial', () => {
  it('fails with AT_CLOSED for a port that does not exist', async () => {
    await expect(openSerial('/dev/simedge-no-such-port')).rejects.toMatchObject({ code: 'AT_CLOSED' });
  });
});
