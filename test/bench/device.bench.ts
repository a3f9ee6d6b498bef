// Device-side measurements (issue 3 "Measured"): bytes on air per provisioning (template
// excluded) against the 1 KB target, the Espruino bundle sizes against the 12 KB budget, and the
// time from `+CEREG: 1` to `ready` against the emulator with realistic modem timings, next to the
// same run with zero modem timings (the floor: broker, core and edge only).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { connectMqtt, endMqtt, NodeDevice } from '@simedge/device-sdk/node';
import { decodeDown, decodeUp, type TraceEvent } from '@simedge/device-sdk/wire';
import { ModemEmulator, REALISTIC_TIMINGS, duplexPair, type ModemTimings } from '@simedge/hardware';
import { startWorld, type World } from '../../examples/network-in-a-box/world.js';
import { percentile, type Bench, type Row } from './types.js';

const KB = 1024;
const BUDGET = 12 * KB;

/** Bytes of a varint "remaining length" [MQTT-2.2.3]. */
const varintLen = (n: number): number => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
/**
 * One QoS 1 PUBLISH on the wire [MQTT 3.1.1 §3.3]: fixed header (1 byte + remaining length),
 * topic (2-byte length + UTF-8), packet id (2), payload; plus its PUBACK (4 bytes) [§3.4].
 */
function publishOnAir(topic: string, payload: number): number {
  const rest = 2 + Buffer.byteLength(topic) + 2 + payload;
  return 1 + varintLen(rest) + rest + 4;
}

interface Seen { dir: 'up' | 'down'; t: string; topic: string; payload: number; onAir: number; tpl: number }

/** Every device message of one provisioning and switch-off, as a spy subscriber sees them through the real broker. */
async function captureOne(): Promise<Seen[]> {
  const world = await startWorld({ devices: [{ imsi: '240011234999001', iccid: '89460112349990010', cell: '01A2D101' }] });
  const spy = await connectMqtt(world.broker.url, { clientId: 'bench-spy' });
  const seen: Seen[] = [];
  try {
    await spy.subscribeAsync('simedge/v1/d/+/+', { qos: 1 });
    spy.on('message', (topic, p) => {
      const bytes = new Uint8Array(p);
      const dir = topic.endsWith('/up') ? 'up' : 'down';
      const m = dir === 'up' ? decodeUp(bytes) : decodeDown(bytes);
      // The template is counted once per product, not per provisioning: prov minus the COSE bytes.
      const tpl = m.t === 'prov' && m.tpl instanceof Uint8Array ? m.tpl.length : 0;
      seen.push({ dir, t: m.t, topic, payload: bytes.length, onAir: publishOnAir(topic, bytes.length) - tpl, tpl });
    });
    const { device } = world.devices[0] as World['devices'][number];
    await device.powerOn('on');
    await device.switchOff();
    await world.core.idle();
  } finally {
    await endMqtt(spy);
    await world.stop();
  }
  return seen;
}

async function bytesOnAir(): Promise<Row[]> {
  const seen = await captureOne();
  const prov = seen.filter((s) => ['hello', 'prov', 'chal', 'acc', 'ready'].includes(s.t));
  const off = seen.filter((s) => s.t === 'bye' || s.t === 'term');
  const sum = (xs: Seen[], dir: 'up' | 'down') => xs.filter((s) => s.dir === dir).reduce((n, s) => n + s.onAir, 0);
  const up = sum(prov, 'up');
  const down = sum(prov, 'down');
  const tpl = seen.find((s) => s.t === 'prov')?.tpl ?? 0;
  const detail = seen.map((s) => `${s.t} ${s.onAir}`).join(', ');
  return [
    { name: 'bytes on air per provisioning (hello…ready)', value: `${up + down} B (up ${up}, down ${down})`, baseline: '1024 B (target)', ratio: `${(((up + down) / KB) * 100).toFixed(0)}% of the target`, note: `MQTT 3.1.1 QoS 1 PUBLISH + PUBACK, template (${tpl} B) excluded; TCP/IP and the session's CONNECT/SUBSCRIBE not counted; ${detail}` },
    { name: 'bytes on air per switch-off (bye, term)', value: `${sum(off, 'up') + sum(off, 'down')} B (up ${sum(off, 'up')}, down ${sum(off, 'down')})`, baseline: '1024 B (target)', ratio: `${(((sum(off, 'up') + sum(off, 'down')) / KB) * 100).toFixed(0)}% of the target`, note: 'same counting' },
  ];
}

async function bundleSize(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, url] of [
    ['Espruino bundle (QMT driver)', new URL('../../device-sdk/dist/espruino/simedge.min.js', import.meta.url)],
    ['Espruino bundle with IoT SAFE (QMT driver)', new URL('../../device-sdk/dist/espruino/simedge-iotsafe.min.js', import.meta.url)],
    ['Espruino bundle of the thermometer (SM driver; no data budget, no homePlmn)', new URL('../../examples/espruino-thermometer/simedge-sim7080.min.js', import.meta.url)],
  ] as const) {
    const code = readFileSync(url);
    rows.push({
      name, value: `${code.length} B`, baseline: `${BUDGET} B (budget)`, ratio: `${((code.length / BUDGET) * 100).toFixed(0)}% of the budget`,
      note: `minified, committed file; gzip ${gzipSync(code).length} B (Espruino keeps the source in RAM uncompressed)`,
    });
  }
  return rows;
}

/** ms from the modem's `+CEREG: 1` (the device reads it as a URC or in the read form) to the device's `ready`. */
async function cregToReady(world: World, imsi: string, timings: ModemTimings | undefined): Promise<number> {
  const iccid = `894601${imsi.slice(-12)}0`;
  await world.core.store.addSubscriber({ imsi, iccid }); // (await: the store may answer with a promise)
  const [modemSide, deviceSide] = duplexPair();
  const modem = new ModemEmulator({ sim: { imsi, iccid }, network: world.network, cell: '01A2D101', ...(timings ? { timings } : {}) });
  modem.connect(modemSide);
  let cereg: number | undefined;
  const device = new NodeDevice({
    stream: deviceSide, brokerUrl: world.broker.url, template: world.signTemplate(world.template()),
    atTrace: (dir, text) => {
      // URC `+CEREG: 1[,…]` or read form `+CEREG: <n>,1[,…]` [TS27.007 §10.1.22]
      if (cereg === undefined && dir === 'rx' && /^\+CEREG: (?:[0-2],)?1(?:,|$)/.test(text)) cereg = performance.now();
    },
  });
  try {
    await device.powerOn('on');
    const t = performance.now();
    if (cereg === undefined) throw new Error('no +CEREG: 1 seen');
    await device.switchOff();
    return t - cereg;
  } finally {
    device.close();
    modem.close();
  }
}

async function attachToReady(): Promise<Row[]> {
  const events: TraceEvent[] = [];
  const world = await startWorld({ devices: [], trace: (e) => events.push(e) });
  const n = 5;
  const floor: number[] = [];
  const real: number[] = [];
  try {
    await cregToReady(world, '240011234998000', undefined); // warm-up: first fn start, JIT
    for (let i = 0; i < n; i++) {
      floor.push(await cregToReady(world, `2400112349981${String(i).padStart(2, '0')}`, undefined));
      real.push(await cregToReady(world, `2400112349982${String(i).padStart(2, '0')}`, REALISTIC_TIMINGS));
    }
  } finally {
    await world.stop();
  }
  const p50 = (xs: number[]) => percentile(xs, 50);
  return [{
    name: '+CEREG: 1 → ready, realistic modem timings',
    value: `p50 ${p50(real).toFixed(0)} ms (max ${Math.max(...real).toFixed(0)})`,
    baseline: `p50 ${p50(floor).toFixed(0)} ms (zero modem timings)`,
    ratio: `+${(p50(real) - p50(floor)).toFixed(0)} ms from the modem`,
    note: `${n} runs each, NodeDevice over the emulated modem, real broker/core/edge in one process; REALISTIC_TIMINGS: AT 2-20 ms, COPS 50-300, CGATT 100-1000 ms after the registration`,
  }];
}

export const benches: Bench[] = [
  { name: 'bytes-on-air', run: bytesOnAir },
  { name: 'bundle-size', run: bundleSize },
  { name: 'cereg-to-ready', run: attachToReady },
];
