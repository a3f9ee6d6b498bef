// Core validator throughput [issue 4]: `prov` requests through the whole pipeline - topic parse,
// CBOR decode with limits, the 17 validation steps with their store reads (trust key, seq,
// subscriber, attach, nonce take, placement tables), then the provision, its order and the
// stored reply in one transaction, the core-signed deploy order, and the publishes - against raw
// node:crypto verifies measured in the same run: one Ed25519 verify per request, and with the
// IoT SAFE proof required, Ed25519 + P-256 per request (the two-verify ceiling).
// In-process on purpose: CoreValidator.handle() is what the MQTT client calls per message, and
// `publish` is swapped for a counter. An in-process broker (aedes) would spend this same thread
// on routing three messages per request (prov in, acc and order out), which in production is the
// broker's own process; per-core validation throughput is what the issue asks about.
import { createHash, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSign1, decodeUp, encodeCbor, encodeMsg, generateKeyPair, publicKeyObject, sign1, topics, type EdgeStatus, type Prov, type Template } from '@simedge/device-sdk/wire';
import { CoreValidator, makePolicy, silentLogger, validateProv } from '@simedge/core-validator';
import { fmtRate, type Bench, type Row } from './types.js';

const DEVICES = 500;
const REQUESTS = 3000;
const CELL = 'cell-a1';

interface Sim { privateKey: KeyObject; publicKey: KeyObject; point: Uint8Array }

function newSim(): Sim {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = new Uint8Array(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]));
  return { privateKey, publicKey, point };
}

const imsiOf = (i: number) => `24001${String(i).padStart(10, '0')}`;

/** [GSMA IoT.05 via DESIGN "Trust"] the bytes the SIM signs: nonce ‖ SHA-256(tpl) ‖ IMSI. */
const proofMessage = (nonce: Uint8Array, tpl: Uint8Array, imsi: string) => Buffer.concat([nonce, createHash('sha256').update(tpl).digest(), Buffer.from(imsi, 'ascii')]);

interface Run { msPerReq: number; accepted: number }

/** A core with DEVICES subscribers, REQUESTS pre-issued nonces and prov messages; times handle(). */
async function pipeline(opts: { simProof: boolean; database: string; around?: { before(): Promise<void>; after(): Promise<void> }; validateOnly?: boolean }): Promise<Run> {
  const coreKey = generateKeyPair();
  const mfr = generateKeyPair();
  let accepted = 0;
  let orders = 0;
  const core = new CoreValidator({
    brokerUrl: 'mqtt://127.0.0.1:1', coreKey: { kid: 'core-1', seed: coreKey.seed }, log: silentLogger, database: opts.database,
    policy: { requireSimProof: opts.simProof },
    // Every accepted prov sends exactly one deploy order; a rejected one sends none.
    publish: (topic) => { if (topic.endsWith('/orders')) orders++; },
  });
  try {
    const now = Date.now();
    const s = Math.floor(now / 1000);
    const t: Template = {
      v: 1, tid: 'acme.thermo', seq: 7, cls: 'acme/thermo-nb1', mfr: 'acme', iat: s - 60, exp: s + 86400,
      svc: [{ n: 'onem2m-cse', ver: '^1', fns: ['reg', 'ret'], share: 'class', res: { cpu: 0.001, mem: 1 } }],
    };
    const tpl = sign1(encodeCbor(t), 'acme-2026', mfr.seed);
    await core.store.addTrustKey({ kid: 'acme-2026', publicKey: mfr.publicKey, mfr: 'acme' });
    await core.store.setCellEdge(CELL, 'edge-a');
    const sims: Sim[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const sim = newSim();
      sims.push(sim);
      await core.store.addSubscriber({ imsi: imsiOf(i), iccid: `894601${String(i).padStart(13, '0')}`, ...(opts.simProof && { simKey: sim.point }) });
      await core.attach({ imsi: imsiOf(i), ip: `10.45.${i >> 8}.${i & 255}`, plmn: '24001', cell: CELL, at: now });
    }
    const status: EdgeStatus = { t: 'status', edge: 'edge-a', online: true, at: now, cells: [CELL], cap: { cpu: 1e6, mem: 1e9 }, used: { cpu: 0, mem: 0 }, inst: 0 };
    await core.handle(topics.edgeStatus('edge-a'), encodeMsg(status));
    const msgs: { topic: string; bytes: Uint8Array }[] = [];
    for (let r = 0; r < REQUESTS; r++) {
      const imsi = imsiOf(r % DEVICES);
      const nonce = new Uint8Array(randomBytes(16));
      await core.store.putNonce(imsi, nonce, now + 3_600_000, now);
      const proof = opts.simProof ? new Uint8Array(sign('sha256', proofMessage(nonce, tpl, imsi), sims[r % DEVICES]!.privateKey)) : undefined;
      msgs.push({ topic: topics.deviceUp(imsi), bytes: encodeMsg({ t: 'prov', rid: `r${r}`, imsi, nonce, tpl, ...(proof && { proof }) }) });
    }
    await opts.around?.before(); // a profiler, when profiling just this part
    const t0 = performance.now();
    if (opts.validateOnly) {
      // Step 204 alone: decode the prov, then the validation steps with their store reads and the
      // nonce take in one transaction each (as onProv runs them); no provision, order or publish.
      const policy = makePolicy({ requireSimProof: opts.simProof });
      for (const m of msgs) {
        const prov = decodeUp(m.bytes) as Prov;
        await core.store.tx(async (tx) => { await validateProv(prov, { store: tx, edges: core.edges, now, policy }); });
        orders++;
      }
    } else {
      // A burst, as the MQTT client would deliver it: every message queued at once.
      await Promise.all(msgs.map((m) => core.handle(m.topic, m.bytes)));
    }
    const ms = performance.now() - t0;
    await opts.around?.after();
    accepted = orders;
    return { msPerReq: ms / REQUESTS, accepted };
  } finally {
    await core.stop();
  }
}

/** The ceiling in the same run: raw node:crypto verifies with cached KeyObjects. With `withSign`,
 *  also the Ed25519 sign every accepted request needs for its deploy order: the crypto floor. */
function ceiling(withP256: boolean, withSign = false): number {
  const mfr = generateKeyPair();
  const core = generateKeyPairSync('ed25519');
  const order = randomBytes(300);
  const tpl = decodeSign1(sign1(encodeCbor({ v: 1, tid: 'acme.thermo', seq: 7 }), 'acme-2026', mfr.seed));
  const edKey = publicKeyObject(mfr.publicKey);
  const sim = newSim();
  const pmsg = proofMessage(randomBytes(16), randomBytes(300), imsiOf(0));
  const psig = sign('sha256', pmsg, sim.privateKey);
  const n = REQUESTS;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!verify(null, tpl.toBeSigned, edKey, tpl.signature)) throw new Error('verify failed');
    if (withP256 && !verify('sha256', pmsg, sim.publicKey, psig)) throw new Error('P-256 verify failed');
    if (withSign) sign(null, order, core.privateKey);
  }
  return (performance.now() - t0) / n;
}

/** Rounds per row: this machine's other tenants make one round's ratio swing by a quarter, so
 *  each row is the round with the median ratio (its own ceiling measured around it). */
const ROUNDS = 3;

interface Round { ceil: number; run: Run; pct: number }

/** ROUNDS of (ceiling, pipeline, ceiling); the one with the median ratio. */
async function medianRound(simProof: boolean, runOnce: () => Promise<Run>, label: string): Promise<Round & { all: number[] }> {
  ceiling(simProof); // warm-up
  await runOnce(); // warm-up: JIT, statement caches
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = ceiling(simProof);
    const run = await runOnce();
    const after = ceiling(simProof);
    if (run.accepted !== REQUESTS) throw new Error(`${label}: ${run.accepted} of ${REQUESTS} requests accepted`);
    const ceil = (before + after) / 2;
    rounds.push({ ceil, run, pct: (ceil / run.msPerReq) * 100 });
  }
  const sorted = [...rounds].sort((a, b) => a.pct - b.pct);
  return { ...(sorted[Math.floor(ROUNDS / 2)] as Round), all: rounds.map((r) => r.pct) };
}

const spread = (all: number[]) => `median of ${all.length} rounds (${all.map((p) => p.toFixed(0)).join(', ')}%)`;

async function compare(simProof: boolean, database: () => string, label: string): Promise<Row> {
  const { ceil, run, pct, all } = await medianRound(simProof, () => pipeline({ simProof, database: database() }), label);
  const floor = ceiling(simProof, true);
  return {
    name: `prov pipeline${simProof ? ' + IoT SAFE proof' : ''}, ${label}`,
    value: fmtRate(run.msPerReq),
    baseline: `${fmtRate(ceil)} (${simProof ? 'Ed25519 + P-256 verify' : 'Ed25519 verify'}, node:crypto)`,
    ratio: `${pct.toFixed(0)}% of the ceiling`,
    note: `target >= 70% (not met); ${spread(all)}; ${REQUESTS} requests from ${DEVICES} SIMs, all accepted. The crypto alone (verify${simProof ? 's' : ''} + the deploy order's Ed25519 sign) `
      + `runs at ${fmtRate(floor)} = ${((ceil / floor) * 100).toFixed(0)}% of the ceiling; the pipeline is ${((floor / run.msPerReq) * 100).toFixed(0)}% of that`,
  };
}

const memory = () => 'sqlite::memory:';

/** Step 204 alone against the same ceiling: how much of the gap is validation, how much the rest. */
async function validationOnly(): Promise<Row> {
  const { ceil, run, pct, all } = await medianRound(false, () => pipeline({ simProof: false, database: memory(), validateOnly: true }), 'validation only');
  return {
    name: 'validation steps only (204), SQLite memory',
    value: fmtRate(run.msPerReq),
    baseline: `${fmtRate(ceil)} (Ed25519 verify, node:crypto)`,
    ratio: `${pct.toFixed(0)}% of the ceiling`,
    note: `not the target's measure (that is the whole pipeline, rows above): decode + the 17 steps with their store reads and the nonce take, one transaction each; no provision, order, signature or publish. ${spread(all)}; ${REQUESTS} requests, all valid`,
  };
}

/** A fresh database file per run (a second run on the same file would find its rids answered). */
async function withFiles<T>(fn: (database: () => string) => Promise<T>): Promise<T> {
  const d = mkdtempSync(join(tmpdir(), 'simedge-bench-'));
  let n = 0;
  try {
    return await fn(() => `sqlite:${join(d, `core-${n++}.db`)}`);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

export { pipeline as corePipeline };

export const benches: Bench[] = [
  { name: 'core-prov', run: async () => [await compare(false, memory, 'SQLite memory')] },
  { name: 'core-prov-simproof', run: async () => [await compare(true, memory, 'SQLite memory')] },
  { name: 'core-prov-file', run: () => withFiles(async (db) => [await compare(false, db, 'SQLite file (WAL)')]) },
  { name: 'core-validate', run: async () => [await validationOnly()] },
];
