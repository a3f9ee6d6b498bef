// Wire-format benchmarks: Ed25519 verify on node:crypto vs @noble/ed25519, and the template
// decode + COSE verify + validate pipeline vs the raw verify ceiling.
import { decodeCbor, decodeSign1, encodeCbor, generateKeyPair, nobleEd25519, nodeEd25519Sync, publicKeyObject, sign1, utf8Encode, validateTemplate, verifySign1 } from '@simedge/device-sdk/wire';
import { fmtRate, timeAsync, timeIt, type Bench, type Row } from './types.js';

async function ed25519(): Promise<Row[]> {
  const k = generateKeyPair();
  const msg = utf8Encode('x'.repeat(300));
  const sig = nodeEd25519Sync.sign(msg, k.seed);
  const n = 3000;
  const keyObj = publicKeyObject(k.publicKey);
  const nodeMs = timeIt(n, () => { if (!nodeEd25519Sync.verify(sig, msg, keyObj)) throw new Error('verify failed'); });
  const nodeRawMs = timeIt(n, () => { if (!nodeEd25519Sync.verify(sig, msg, k.publicKey)) throw new Error('verify failed'); });
  const nobleMs = await timeAsync(300, async () => { if (!(await nobleEd25519.verify(sig, msg, k.publicKey))) throw new Error('verify failed'); });
  return [
    { name: 'Ed25519 verify, node:crypto', value: fmtRate(nodeMs), baseline: `${fmtRate(nobleMs)} (@noble/ed25519)`, ratio: `${(nobleMs / nodeMs).toFixed(1)}x faster`, note: 'core and edge use node:crypto with cached KeyObjects; noble is the portable path' },
    { name: 'Ed25519 verify, node:crypto, key parsed per call', value: fmtRate(nodeRawMs), baseline: `${fmtRate(nodeMs)} (cached KeyObject)`, ratio: `${(nodeRawMs / nodeMs).toFixed(1)}x slower`, note: 'why trust stores keep KeyObjects' },
  ];
}

async function templateVerify(): Promise<Row[]> {
  const k = generateKeyPair();
  const t = Math.floor(Date.now() / 1000);
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
  return [{ name: 'template decode + COSE verify + validate', value: fmtRate(fullMs), baseline: `${fmtRate(rawMs)} (raw Ed25519 verify)`, ratio: `${((rawMs / fullMs) * 100).toFixed(0)}% of the verify ceiling`, note: `${cose.length} bytes of COSE_Sign1` }];
}

export const benches: Bench[] = [
  { name: 'ed25519', run: ed25519 },
  { name: 'template-verify', run: templateVerify },
];
