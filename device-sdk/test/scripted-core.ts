// Test helper: the core's side of FIG. 2, scripted on a real broker for device-side tests (the
// Espruino bundles in QuickJS against the modem emulator). Decodes what the device sends and
// answers with the Node wire code: chal for a hello; acc and ready (a new pid, p-1, p-2, …) for a
// prov, then the term of the provision it replaces (make-before-break, DESIGN roaming); a term
// per live pid for a bye. Not the core validator: no signatures or policy are checked here.
import { connectMqtt, endMqtt } from '../src/adapter/node/index.js';
import { decodeUp, encodeMsg, type DownMsg, type UpMsg } from '../src/wire/messages.js';
import { topics } from '../src/wire/topics.js';
import { NONCE } from './espruino-modem.js';

/** Start answering `imsi` on the broker; `stops` gets the disconnect. Resolves with every up message seen (live array). */
export async function scriptedCore(brokerUrl: string, imsi: string, stops: Array<() => unknown>): Promise<UpMsg[]> {
  const core = await connectMqtt(brokerUrl, { clientId: 'core' });
  stops.push(() => endMqtt(core, true));
  const up: UpMsg[] = [];
  let live: string[] = [];
  const send = (m: DownMsg): void => void core.publish(topics.deviceDown(imsi), Buffer.from(encodeMsg(m)), { qos: 1 });
  core.on('message', (_t, payload) => {
    const m = decodeUp(new Uint8Array(payload));
    up.push(m);
    if (m.t === 'hello') send({ t: 'chal', rid: m.rid, nonce: NONCE, ttl: 60 });
    else if (m.t === 'prov') {
      const pid = `p-${up.filter((x) => x.t === 'prov').length}`;
      send({ t: 'acc', rid: m.rid, pid, edge: 'edge-a' });
      send({ t: 'ready', pid, edge: 'edge-a', svc: [{ n: 'fn', ep: 'http://10.0.0.7:8080/fn' }] });
      for (const old of live) send({ t: 'term', pid: old, why: 'roam' });
      live = [pid];
    } else if (m.t === 'bye') {
      for (const pid of live) send({ t: 'term', pid, why: 'bye' });
      live = [];
    }
  });
  await core.subscribeAsync(topics.deviceUp(imsi), { qos: 1 });
  return up;
}
