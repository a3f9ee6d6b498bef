// Network attestation for real [DESIGN.md Trust]: the RADIUS session (fed by radclient) says
// IMSI 240011234000001 holds 127.100.0.7; two MQTT clients bound to different loopback addresses
// (all of 127.0.0.0/8 is local) send `prov` for that IMSI through the real aedes broker. With
// attestation 'network' only the one publishing from the session address is accepted.
import { connect as netConnect } from 'node:net';
import { MqttClient } from 'mqtt';
import { endMqtt } from '@simedge/device-sdk/node';
import { encodeMsg, topics, type UpMsg } from '@simedge/device-sdk/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerLog, recordPeers } from '../src/attest/index.js';
import { downOf, ICCID, IMSI, startWorld, type World } from './harness.js';
import { acctLines, radclient, uliOctets } from './radius-tools.js';

const SECRET = 'attest-secret';
const SESSION_IP = '127.100.0.7';
const OTHER_IP = '127.100.0.8';

let w: World | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await endMqtt(c, true);
  await w?.close();
  w = undefined;
});

/** An MQTT client whose TCP connection starts from `localAddress`. connectMqtt has no such
 * option yet, so the stream builder is ours here (TCP_NODELAY set as connectMqtt does). */
function deviceFrom(url: string, localAddress: string, clientId: string): Promise<MqttClient> {
  const u = new URL(url);
  const c = new MqttClient(() => netConnect({ host: u.hostname, port: Number(u.port), localAddress, noDelay: true }), { protocolVersion: 4, clientId, reconnectPeriod: 0 });
  clients.push(c);
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function world(attestation: 'off' | 'network'): Promise<World> {
  const peers = new PeerLog();
  w = await startWorld({ attestation, brokerPeers: peers, radius: { secret: SECRET } });
  recordPeers(w.broker.aedes, peers);
  await w.core.store.setCellEdge('01A2D101', 'edge-a');
  // [step 201] the PGW's Accounting-Start, as real packets
  const r = await radclient(w.core.radiusPort!, SECRET, acctLines({
    status: 'Start', session: 'pgw-1', imsi: IMSI, ip: SESSION_IP, plmn: '24001', uli: uliOctets('24001', 0x0a01, 0x01a2d101),
  }));
  expect(r.code).toBe(0);
  expect(await w.core.store.attachOf(IMSI)).toMatchObject({ ip: SESSION_IP, plmn: '24001', cell: '01A2D101' });
  return w;
}

/** hello -> chal -> prov from one client; resolves with the core's answer (acc or rej). */
async function provFrom(w: World, c: MqttClient, rid: string) {
  const up = (m: UpMsg) => c.publish(topics.deviceUp(IMSI), Buffer.from(encodeMsg(m)), { qos: 1 });
  let from = w.obs.all.length;
  up({ t: 'hello', rid: `${rid}-h`, imsi: IMSI, iccid: ICCID, plmn: '24001', cell: '01A2D101', why: 'on' });
  const { nonce } = await w.obs.waitFor(downOf(IMSI, 'chal', (m) => m.rid === `${rid}-h`), `chal ${rid}`, from);
  from = w.obs.all.length;
  up({ t: 'prov', rid, imsi: IMSI, nonce, tpl: w.template() });
  return w.obs.waitFor((r) => downOf(IMSI, 'acc', (m) => m.rid === rid)(r) ?? downOf(IMSI, 'rej', (m) => m.rid === rid)(r), `answer ${rid}`, from);
}

describe('network attestation: broker peer address = framed IP of the IMSI session', () => {
  it("'network': a prov from another address is NOT_ATTESTED, from the session address accepted", async () => {
    const w = await world('network');
    const intruder = await deviceFrom(w.broker.url, OTHER_IP, 'intruder');
    const device = await deviceFrom(w.broker.url, SESSION_IP, 'device');
    expect(await provFrom(w, intruder, 'p-bad')).toMatchObject({ t: 'rej', code: 'NOT_ATTESTED' });
    expect(await provFrom(w, device, 'p-good')).toMatchObject({ t: 'acc', edge: 'edge-a' });
    await w.edgeA.nextOrder('deploy');
    expect(w.edgeA.orders).toHaveLength(1); // only the attested prov was deployed
  });

  it("'network': after the session moves to another address (Stop, new Start) the old one no longer attests", async () => {
    const w = await world('network');
    await radclient(w.core.radiusPort!, SECRET, acctLines({ status: 'Stop', session: 'pgw-1', imsi: IMSI }));
    await radclient(w.core.radiusPort!, SECRET, acctLines({
      status: 'Start', session: 'pgw-2', imsi: IMSI, ip: OTHER_IP, plmn: '24001', uli: uliOctets('24001', 0x0a01, 0x01a2d101),
    }));
    const old = await deviceFrom(w.broker.url, SESSION_IP, 'old');
    expect(await provFrom(w, old, 'p-old')).toMatchObject({ t: 'rej', code: 'NOT_ATTESTED' });
  });

  it("'network': a message injected inside the broker (no TCP peer) does not attest", async () => {
    const w = await world('network');
    const device = await deviceFrom(w.broker.url, SESSION_IP, 'device');
    const from = w.obs.all.length;
    device.publish(topics.deviceUp(IMSI), Buffer.from(encodeMsg({ t: 'hello', rid: 'h', imsi: IMSI, iccid: ICCID, plmn: '24001', cell: '01A2D101', why: 'on' })), { qos: 1 });
    const { nonce } = await w.obs.waitFor(downOf(IMSI, 'chal', (m) => m.rid === 'h'), 'chal', from);
    const payload = Buffer.from(encodeMsg({ t: 'prov', rid: 'p-inj', imsi: IMSI, nonce, tpl: w.template() }));
    w.broker.aedes.publish({ cmd: 'publish', topic: topics.deviceUp(IMSI), payload, qos: 1, retain: false, dup: false }, () => {});
    expect(await w.obs.waitFor(downOf(IMSI, 'rej', (m) => m.rid === 'p-inj'), 'rej')).toMatchObject({ code: 'NOT_ATTESTED' });
  });

  it("'off' (default): the address is not checked", async () => {
    const w = await world('off');
    const elsewhere = await deviceFrom(w.broker.url, OTHER_IP, 'elsewhere');
    expect(await provFrom(w, elsewhere, 'p-any')).toMatchObject({ t: 'acc' });
  });
});
