// `npm run bench`: performance targets are measured here, never asserted in unit tests. Each
// benchmark prints its result next to a baseline measured in the same run, as a ratio, and the
// whole table is written to BENCHMARKS.md at the repository root.
import { writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { MqttClient } from 'mqtt';
import { startEmbeddedBroker } from '@simedge/core-validator/broker';
import { connectMqtt, endMqtt } from '@simedge/device-sdk/node';
import { decodeSign1, encodeCbor, generateKeyPair, nobleEd25519, nodeEd25519Sync, publicKeyObject, sign1, utf8Encode, validateTemplate, verifySign1, decodeCbor } from '@simedge/device-sdk/wire';

interface Row { name: string; value: string; baseline: string; ratio: string; note: string }
const rows: Row[] = [];

function timeIt(iterations: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - t0) / iterations;
}

async function timeAsync(iterations: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return (performance.now() - t0) / iterations;
}

const fmtRate = (msPerOp: number) => `${Math.round(1000 / msPerOp).toLocaleString('en')}/s`;

async function ed25519(): Promise<void> {
  const k = generateKeyPair();
  const msg = utf8Encode('x'.repeat(300));
  const sig = nodeEd25519Sync.sign(msg, k.seed);
  const n = 3000;
  const keyObj = publicKeyObject(k.publicKey);
  const nodeMs = timeIt(n, () => { if (!nodeEd25519Sync.verify(sig, msg, keyObj)) throw new Error('verify failed'); });
  const nodeRawMs = timeIt(n, () => { if (!nodeEd25519Sync.verify(sig, msg, k.publicKey)) throw new Error('verify failed'); });
  const nobleMs = await timeAsync(300, async () => { if (!(await nobleEd25519.verify(sig, msg, k.publicKey))) throw new Error('verify failed'); });
  rows.push({ name: 'Ed25519 verify, node:crypto', value: fmtRate(nodeMs), baseline: `${fmtRate(nobleMs)} (@noble/ed25519)`, ratio: `${(nobleMs / nodeMs).toFixed(1)}x faster`, note: 'core and edge use node:crypto with cached KeyObjects; noble is the portable path' });
  rows.push({ name: 'Ed25519 verify, node:crypto, key parsed per call', value: fmtRate(nodeRawMs), baseline: `${fmtRate(nodeMs)} (cached KeyObject)`, ratio: `${(nodeRawMs / nodeMs).toFixed(1)}x slower`, note: 'why trust stores keep KeyObjects' });
}

function templateVerify(): void {
  const k = generateKeyPair();
  const t = now();
  const cose = sign1(encodeCbor({ v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: t, exp: t + 86400, svc: [{ n: 'fn', share: 'device', art: utf8Encode('function handle(i){return i}'), res: { mem: 16 } }] }), 'acme-2026', k.seed);
  const pub = publicKeyObject(k.publicKey);
  const raw = decodeSign1(cose);
  const n = 3000;
  const rawMs = timeIt(n, () => { if (!nodeEd25519Sync.verify(raw.signature, raw.toBeSigned, pub)) throw new Error('verify failed'); });
  const fullMs = timeIt(n, () => {
    const s = decodeSign1(cose);
    if (!verifySign1(s, pub)) throw new Error('verify failed');
    validateTemplate(decodeCbor(s.payload));
  });
  rows.push({ name: 'template decode + COSE verify + validate', value: fmtRate(fullMs), baseline: `${fmtRate(rawMs)} (raw Ed25519 verify)`, ratio: `${((rawMs / fullMs) * 100).toFixed(0)}% of the verify ceiling`, note: `${cose.length} bytes of COSE_Sign1` });
}

function now(): number { return Math.floor(Date.now() / 1000); }

/** Request/response through the broker: client A publishes, client B echoes, A waits. */
async function roundTrip(a: MqttClient, b: MqttClient, n: number): Promise<number> {
  // QoS 1 as in the provisioning protocol: the PUBACKs are what Nagle's algorithm holds back.
  await b.subscribeAsync('bench/req', { qos: 1 });
  await a.subscribeAsync('bench/res', { qos: 1 });
  b.on('message', (_t, p) => { b.publish('bench/res', p, { qos: 1 }); });
  let resolveOne: () => void = () => undefined;
  a.on('message', () => resolveOne());
  const once = () => new Promise<void>((r) => { resolveOne = r; a.publish('bench/req', Buffer.from('ping'), { qos: 1 }); });
  await once();
  return timeAsync(n, once);
}

async function mqttNagle(): Promise<void> {
  // Measured: our embedded broker and connectMqtt (TCP_NODELAY on both ends).
  const broker = await startEmbeddedBroker();
  const a = await connectMqtt(broker.url, { clientId: 'bench-a' });
  const b = await connectMqtt(broker.url, { clientId: 'bench-b' });
  const fast = await roundTrip(a, b, 200);
  await endMqtt(a); await endMqtt(b); await broker.close();

  // Baseline: the same broker and client with default sockets (Nagle's algorithm on).
  const aedes = await Aedes.createBroker();
  const server = createServer((s) => aedes.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const mk = (id: string) => new Promise<MqttClient>((resolve) => {
    const c = new MqttClient(() => netConnect({ host: '127.0.0.1', port }) as Socket, { clientId: id, protocolVersion: 4, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
  });
  const a2 = await mk('slow-a');
  const b2 = await mk('slow-b');
  const slow = await roundTrip(a2, b2, 10);
  await endMqtt(a2, true); await endMqtt(b2, true);
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => aedes.close(() => r()));
  rows.push({ name: 'MQTT request/response round trip, TCP_NODELAY', value: `${fast.toFixed(2)} ms`, baseline: `${slow.toFixed(2)} ms (default sockets)`, ratio: `${(slow / fast).toFixed(0)}x faster`, note: 'aedes + MQTT.js on loopback, QoS 1 both ways' });
}

async function main(): Promise<void> {
  process.stdout.write('simedge benchmarks (ratios are against a baseline measured in this same run)\n');
  for (const [name, fn] of [['ed25519', ed25519], ['template', templateVerify], ['mqtt', mqttNagle]] as const) {
    process.stdout.write(`  running ${name}...\n`);
    await fn();
  }
  const table = ['| benchmark | result | baseline (same run) | ratio | note |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.note} |`)].join('\n');
  process.stdout.write('\n' + table + '\n');
  const out = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
  writeFileSync(out, `# Benchmarks\n\nWritten by \`npm run bench\` on ${new Date().toISOString()} (Node ${process.version}, ${(await import('node:os')).cpus().length} cores). Numbers vary by machine; the ratios compare against a baseline measured in the same run.\n\n${table}\n`);
  process.stdout.write(`\nwrote ${out}\n`);
}

main().catch((e: unknown) => { process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`); process.exitCode = 1; });
