// Helpers for the pipeline, placement, ops and charging tests, on top of harness.ts: an IoT SAFE
// SIM (a P-256 key pair, signing as the applet does), a prov that carries a proof, and an edge
// status with chosen capacity. The proof is built here from the spec text, not with the core's
// own simProofMessage, so a mistake there would show.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encodeMsg, topics, type DownMsg, type EdgeStatus } from '@simedge/device-sdk/wire';
import { IMSI, downOf, type TestEdge, type World } from './harness.js';

export interface Sim { privateKey: KeyObject; spki: Uint8Array; point: Uint8Array }

export function newSim(): Sim {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  return { privateKey, spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), point: new Uint8Array(point) };
}

/** [GSMA IoT.05 via DESIGN "Trust"] ECDSA P-256/SHA-256 over nonce ‖ SHA-256(tpl) ‖ IMSI. */
export function simSign(sim: Sim, nonce: Uint8Array, tpl: Uint8Array, imsi = IMSI, enc: 'der' | 'ieee-p1363' = 'der'): Uint8Array {
  const msg = Buffer.concat([nonce, createHash('sha256').update(tpl).digest(), Buffer.from(imsi, 'ascii')]);
  return new Uint8Array(sign('sha256', msg, { key: sim.privateKey, dsaEncoding: enc }));
}

/** prov with an optional proof -> acc or rej. */
export async function provWith(w: World, rid: string, nonce: Uint8Array, tpl: Uint8Array, proof?: Uint8Array, imsi = IMSI): Promise<DownMsg> {
  const from = w.obs.all.length;
  w.up({ t: 'prov', rid, imsi, nonce, tpl, ...(proof && { proof }) }, imsi);
  return w.obs.waitFor((r) => downOf(imsi, 'acc', (x) => x.rid === rid)(r) ?? downOf(imsi, 'rej', (x) => x.rid === rid)(r), `acc/rej ${rid}`, from);
}

/** Publish a retained status with the given capacity; resolves once the core has it. aedes hands
 *  a publish to every subscriber before it acks the publisher, so a marker round trip on the
 *  core's one connection afterwards proves the core handled the status. */
export async function edgeStatus(w: World, edge: TestEdge, s: Partial<Pick<EdgeStatus, 'online' | 'cells' | 'cap' | 'used'>>): Promise<void> {
  const st: EdgeStatus = {
    t: 'status', edge: edge.id, online: s.online ?? true, at: Date.now(), cells: s.cells ?? [],
    cap: s.cap ?? { cpu: 4, mem: 4096 }, used: s.used ?? { cpu: 0, mem: 0 }, inst: 0,
  };
  await edge.client.publishAsync(topics.edgeStatus(edge.id), Buffer.from(encodeMsg(st)), { qos: 1, retain: true });
  await w.marker();
  const got = w.core.edges.get(edge.id);
  if (!got || got.online !== st.online || got.used.mem !== st.used.mem || got.cap.mem !== st.cap.mem) throw new Error(`core did not take the status of ${edge.id}`);
}

/** Assert-ready view of a rejection: no orders, no provision for `rid`, one 204 rejected trace. */
export async function nothingDeployed(w: World, rid: string): Promise<{ orders: number; provisions: number; rejected: string[] }> {
  await w.marker();
  return {
    orders: w.obs.orders().length,
    provisions: (await w.core.store.provisions()).filter((p) => p.rid === rid).length,
    rejected: w.traces.filter((t) => t.step === 204 && t.ev === 'rejected').map((t) => t.detail ?? ''),
  };
}
