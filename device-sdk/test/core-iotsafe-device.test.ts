// NodeDevice with `iotSafe: true` against the hardware/ modem emulator (SIM with its IoT SAFE
// applet) and a real embedded broker: the prov carries a SIM proof that the core - simulated here
// by an MQTT client, because the real core's proof check is another part's work - verifies with
// the SIM's public key over nonce ‖ SHA-256(template) ‖ IMSI (DESIGN.md Trust).
import { createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeDevice, connectMqtt, endMqtt } from '../src/adapter/node/index.js';
import { decodeUp, encodeMsg, type DownMsg, type Prov } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import { emulatorRig } from './emulator-rig.js';

const IMSI = '244051234567890';
const ICCID = '8935805123456789012';
const TPL = new Uint8Array([0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27, 0x0a, 0x0d]);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

const env = emulatorRig();

describe('NodeDevice iotSafe option', () => {
  it('sends a prov whose proof verifies with the SIM key; the dialect picks the ICCID command', async () => {
    const broker = await env.broker();
    const { modem, host: hostSide } = env.modem({ sim: { imsi: IMSI, iccid: ICCID, iotSafeSignatureFormat: 'der' }, dialect: 'sim7600' });

    const core = await connectMqtt(broker.url, { clientId: 'sim-core' });
    env.defer(() => endMqtt(core, true));
    const nonce = new Uint8Array(16).fill(0x0a);
    let prov: Prov | undefined;
    const down = (m: DownMsg) => core.publish(topics.deviceDown(IMSI), Buffer.from(encodeMsg(m)), { qos: 1 });
    core.on('message', (_t, payload) => {
      const m = decodeUp(new Uint8Array(payload));
      if (m.t === 'hello') down({ t: 'chal', rid: m.rid, nonce, ttl: 30 });
      else if (m.t === 'prov') {
        prov = m;
        down({ t: 'acc', rid: m.rid, pid: 'p1', edge: 'edge-a' });
        down({ t: 'ready', pid: 'p1', edge: 'edge-a', svc: [] });
      } else down({ t: 'term', pid: 'p1', why: 'bye' });
    });
    await core.subscribeAsync(topics.deviceUp(IMSI), { qos: 1 });

    const dev = new NodeDevice({
      stream: hostSide, brokerUrl: broker.url, template: TPL, iotSafe: true, dialect: 'sim7600', homePlmn: true,
      registerTimeoutMs: 5000, timeoutMs: 5000,
    });
    env.defer(() => dev.close());
    await dev.powerOn();
    expect(dev.attachInfo).toMatchObject({ iccid: ICCID, home: '24405', roaming: false });
    const p = prov as Prov;
    expect(p.proof?.length).toBe(64);
    const msg = Buffer.concat([nonce, sha256(TPL), Buffer.from(IMSI)]);
    expect(verify('sha256', msg, { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, p.proof as Uint8Array)).toBe(true);
    expect(verify('sha256', Buffer.concat([new Uint8Array(16), sha256(TPL), Buffer.from(IMSI)]), { key: modem.iotSafePublicKey, dsaEncoding: 'ieee-p1363' }, p.proof as Uint8Array)).toBe(false);
    await dev.switchOff();
  });
});
