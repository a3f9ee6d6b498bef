// The one modem contract (STYLE #12): what the device SDK must get out of every modem dialect,
// run against each dialect of the hardware/ emulator over whatever link a test file supplies
// (an in-memory duplexPair, a real pseudo-terminal opened with serialport). Everything on the
// other side is real: the emulator, its SIM and IoT SAFE applet, an embedded aedes broker and an
// MQTT.js peer.
//
// Per dialect: attach (radio on, SIM, registration, packet attach) with the dialect's ICCID
// command; the +CEREG read form and URC [TS27.007 §10.1.22]; roaming from stat 5 and from the
// SIM's home PLMN (EF_AD); a network-side detach and re-attach; the modem-internal MQTT: a binary
// publish/receive round trip and link loss with reconnect (or, for `generic`, that it has none);
// an IoT SAFE signature through AT+CSIM verified with the SIM's public key.
import { createHash, verify } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { ModemEmulator, NetworkSim } from '@simedge/hardware';
import { connectMqtt, endMqtt, nodePlatform, type MqttClient } from '../../src/adapter/node/index.js';
import { AtEngine } from '../../src/core/at/engine.js';
import { parseCereg, type Registration } from '../../src/core/cereg.js';
import { iotSafeSign } from '../../src/core/iotsafe.js';
import { dialectInfo, isRoaming, type Dialect } from '../../src/core/lifecycle.js';
import { attach, readOperator, watchRegistration, type AttachInfo } from '../../src/core/modem.js';
import type { ByteStream } from '../../src/core/stream.js';
import { modemMqtt } from '../../src/core/transport/index.js';
import { Queue, nextMessage } from '../waiters.js';

/** Every dialect the emulator speaks. */
export const ALL_DIALECTS: Dialect[] = ['generic', 'bg95', 'bg96', 'sim7600', 'sim7080', 'sara-r4', 'sara-r5'];

/** A link from the SDK to a connected modem; close() tears down whatever the link needed. */
export interface ModemLink {
  host: ByteStream;
  close(): Promise<void>;
}
export type LinkFactory = (modem: ModemEmulator) => Promise<ModemLink>;

const IMSI = '244051234567890';
const ICCID = '8935805123456789012';
const CELLS = [
  { id: 'home-1', plmn: '24405', tac: '0A01', ci: '01A2D101' },
  { id: 'home-2', plmn: '24405', tac: '0A02', ci: '01A2D202' },
  { id: 'visited', plmn: '24001', tac: '0B01', ci: '02B3E201' },
];
const UP = `simedge/v1/d/${IMSI}/up`;
const DOWN = `simedge/v1/d/${IMSI}/down`;
/** NUL, CR LF, lone CR and LF, Ctrl-Z, a prompt look-alike, quotes, an embedded OK, 0xFF. */
const BINARY = new Uint8Array([0x00, 0x0d, 0x0a, 0x1a, 0x3e, 0x20, 0x22, 0xff, 0x0a, 0x41, 0x0d, 0x42, 0x0d, 0x0a, 0x4f, 0x4b, 0x0d, 0x0a, 0x22]);
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/** Register the whole contract for every dialect over the links `link` makes. */
export function modemContract(linkName: string, link: LinkFactory): void {
  let broker: EmbeddedBroker;
  let peer: MqttClient;
  const cleanups: Array<() => unknown> = [];

  beforeAll(async () => {
    broker = await startEmbeddedBroker();
    peer = await connectMqtt(broker.url, { clientId: 'contract-peer' });
    await peer.subscribeAsync(UP, { qos: 1 });
  });
  afterAll(async () => {
    await endMqtt(peer, true);
    await broker.close();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A powered modem of the dialect on a fresh link, an AT engine on the host side; not yet attached. */
  async function rig(dialect: Dialect, cell = 'home-1') {
    const network = new NetworkSim({ cells: CELLS });
    const modem = new ModemEmulator({ sim: { imsi: IMSI, iccid: ICCID }, network, cell, dialect: dialect as never });
    const l = await link(modem);
    cleanups.push(() => l.close());
    const tx: string[] = [];
    const at = new AtEngine(l.host, nodePlatform, { defaultTimeoutMs: 3000, maxLine: 4096, trace: (dir, s) => { if (dir === 'tx') tx.push(s.trim()); } });
    cleanups.push(() => at.close());
    return { modem, at, tx, network };
  }

  async function attached(dialect: Dialect, cell?: string): Promise<Awaited<ReturnType<typeof rig>> & { info: AttachInfo }> {
    const r = await rig(dialect, cell);
    const info = await attach(r.at, nodePlatform, { dialect, registerTimeoutMs: 5000, homePlmn: true });
    return { ...r, info };
  }

  describe.each(ALL_DIALECTS)(`modem contract over ${linkName}: %s`, (dialect) => {
    it('attaches: radio on, SIM ready, IMSI, ICCID with the dialect\'s own command, home registration [TS27.007 §8.2, §10.1.9]', async () => {
      const { info, tx } = await attached(dialect);
      expect(info).toEqual({ imsi: IMSI, iccid: ICCID, plmn: '24405', cell: '01A2D101', tac: '0A01', ci: '01A2D101', roaming: false, home: '24405' });
      expect(tx).toContain(dialectInfo(dialect).iccidCmd);
      expect(tx.slice(0, 2)).toEqual(['ATE0', 'AT+CFUN=1']);
      expect(tx).toContain('AT+CGATT=1');
    });

    it('answers the +CEREG read form and reports a cell change as a URC [TS27.007 §10.1.22]', async () => {
      const { at, modem } = await attached(dialect);
      const lines = await at.send('AT+CEREG?');
      expect(lines).toEqual(['+CEREG: 2,1,"0A01","01A2D101",7']);
      expect(parseCereg(lines[0] as string, true)).toMatchObject({ stat: 1, tac: '0A01', ci: '01A2D101', roaming: false });
      const regs = new Queue<Registration>();
      const off = watchRegistration(at, regs.push);
      modem.moveTo('home-2');
      expect(await regs.next()).toMatchObject({ stat: 1, tac: '0A02', ci: '01A2D202', roaming: false });
      off();
    });

    it('detects roaming: stat 5 on moving to a visited network, and the SIM\'s home PLMN at power-on there (claim 2)', async () => {
      const { at, modem, info } = await attached(dialect);
      const regs = new Queue<Registration>();
      watchRegistration(at, regs.push);
      modem.moveTo('visited');
      const r = await regs.next();
      expect(r).toMatchObject({ stat: 5, ci: '02B3E201', roaming: true });
      const plmn = await readOperator(at);
      expect(plmn).toBe('24001');
      expect(isRoaming(1, plmn, IMSI, info.home)).toBe(true); // even if a network said stat 1
      const far = await attached(dialect, 'visited');
      expect(far.info).toMatchObject({ plmn: '24001', roaming: true, home: '24405', ci: '02B3E201' });
    });

    it('loses registration when the network detaches it (+CEREG: 0) and registers again on AT+CGATT=1', async () => {
      const { at, modem } = await attached(dialect);
      const regs = new Queue<Registration>();
      watchRegistration(at, regs.push);
      modem.networkDetach();
      expect(await regs.next()).toMatchObject({ stat: 0 });
      await at.send('AT+CGATT=1', { timeoutMs: 5000 });
      expect(await regs.next()).toMatchObject({ stat: 1, ci: '01A2D101' });
    });

    if (dialectInfo(dialect).mqtt) {
      it(`moves a binary payload both ways through the modem's own MQTT (${dialectInfo(dialect).mqtt})`, async () => {
        const { at } = await attached(dialect);
        const t = modemMqtt(at, nodePlatform, dialect, { opTimeoutMs: 5000, connectTimeoutMs: 5000 });
        cleanups.push(() => t.close());
        const inbox = new Queue<Uint8Array>();
        const u = new URL(broker.url);
        await t.connect(u.hostname, Number(u.port), IMSI);
        await t.subscribe(DOWN, inbox.push);
        const up = nextMessage(peer, UP);
        await t.publish(UP, BINARY);
        expect(await up).toEqual(BINARY);
        await peer.publishAsync(DOWN, Buffer.from(BINARY), { qos: 1 });
        expect(await inbox.next()).toEqual(BINARY);
      });

      it('reports the MQTT link lost and reconnects with backoff, keeping its subscription', async () => {
        const { at, modem } = await attached(dialect);
        const t = modemMqtt(at, nodePlatform, dialect, { backoff: { baseMs: 5, maxMs: 20, attempts: 5 }, opTimeoutMs: 5000, connectTimeoutMs: 5000 });
        cleanups.push(() => t.close());
        const inbox = new Queue<Uint8Array>();
        const u = new URL(broker.url);
        await t.connect(u.hostname, Number(u.port), IMSI);
        await t.subscribe(DOWN, inbox.push);
        const lost = new Promise<string>((resolve) => t.onLinkLost(resolve));
        modem.dropLink();
        expect(await lost).toMatch(/\S/);
        const up = nextMessage(peer, UP);
        await t.publish(UP, BINARY); // waits for the reconnect
        expect(await up).toEqual(BINARY);
        expect(t.state).toBe('up');
        await peer.publishAsync(DOWN, Buffer.from(BINARY), { qos: 1 });
        expect(await inbox.next()).toEqual(BINARY);
      });
    } else {
      it('has no modem-internal MQTT: the SDK says so with TypeError (the firmware brings its own transport)', async () => {
        const { at } = await attached(dialect);
        expect(() => modemMqtt(at, nodePlatform, dialect)).toThrow(/no internal MQTT/);
        await expect(at.send('AT+QMTOPEN=0,"127.0.0.1",1883')).rejects.toMatchObject({ code: 'AT_ERROR' });
      });
    }

    it('signs with the SIM\'s IoT SAFE key through AT+CSIM [GSMA IoT.05]', async () => {
      const { at, modem } = await attached(dialect);
      const msg = new Uint8Array([...sha256(new Uint8Array([1, 2, 3])), 0x0d, 0x0a]);
      const sig = await iotSafeSign(at, msg, sha256);
      expect(sig).toHaveLength(64);
      expect(verify('sha256', msg, { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    });
  });
}
