// The validation steps of a `prov` [step 204], each small and each failing with one stable code.
// Order matters and is fixed in pipeline.ts: cheap checks and the nonce (anti-replay) first, the
// signature before anything in the payload is trusted [STYLE #10], placement last.
import {
  SimedgeError, decodeCbor, decodeSign1, validateTemplate, verifySign1,
  type Prov, type Sign1, type Template,
} from '@simedge/device-sdk/wire';
import type { EdgeTable } from '../edges.js';
import type { AttachRecord, CoreStore, Subscriber, TrustKey } from '../store/types.js';

export interface StepEnv {
  msg: Prov;
  store: CoreStore;
  edges: EdgeTable;
  /** ms since the epoch */
  now: number;
}

/** What the steps establish, filled in as they pass. */
export interface Validated {
  cose: Sign1;
  key: TrustKey;
  template: Template;
  subscriber: Subscriber;
  attach: AttachRecord;
  edge: string;
}
export type Established = Partial<Validated>;

export interface ValidationStep {
  name: string;
  run(env: StepEnv, acc: Established): void;
}

function need<K extends keyof Validated>(acc: Established, k: K): Validated[K] {
  const v = acc[k];
  if (v === undefined) throw new Error(`validation pipeline: "${k}" is not set by an earlier step`);
  return v as Validated[K];
}

/** [RFC9052 §4.2] COSE_Sign1 structure with decode limits (CBOR_*, COSE_INVALID). */
export const decodeStep: ValidationStep = {
  name: 'decode',
  run(env, acc) {
    acc.cose = decodeSign1(env.msg.tpl, { maxBytes: 8192 });
  },
};

/** The challenge nonce was issued to this IMSI, is unused and unexpired; consumed either way. */
export const nonceStep: ValidationStep = {
  name: 'nonce',
  run(env) {
    if (!env.store.takeNonce(env.msg.imsi, env.msg.nonce, env.now)) throw new SimedgeError('BAD_NONCE');
  },
};

export const keyStep: ValidationStep = {
  name: 'key',
  run(env, acc) {
    const key = env.store.trustKey(need(acc, 'cose').kid);
    if (!key) throw new SimedgeError('UNKNOWN_KEY', need(acc, 'cose').kid);
    acc.key = key;
  },
};

/** [RFC9052 §4.4] The manufacturer's signature over the Sig_structure. */
export const signatureStep: ValidationStep = {
  name: 'signature',
  run(_env, acc) {
    if (!verifySign1(need(acc, 'cose'), need(acc, 'key').publicKey)) throw new SimedgeError('BAD_SIGNATURE');
  },
};

export const templateStep: ValidationStep = {
  name: 'template',
  run(_env, acc) {
    acc.template = validateTemplate(decodeCbor(need(acc, 'cose').payload, { maxBytes: 8192 }));
  },
};

/** The key is not revoked, is inside its window and may sign for this manufacturer and class. */
export const keyScopeStep: ValidationStep = {
  name: 'key-scope',
  run(env, acc) {
    const key = need(acc, 'key');
    const t = need(acc, 'template');
    const sec = Math.floor(env.now / 1000);
    if (key.revoked) throw new SimedgeError('KEY_NOT_VALID', 'revoked');
    if ((key.notBefore !== undefined && sec < key.notBefore) || (key.notAfter !== undefined && sec >= key.notAfter)) {
      throw new SimedgeError('KEY_NOT_VALID', 'outside its validity window');
    }
    if (key.mfr !== t.mfr) throw new SimedgeError('KEY_NOT_VALID', `key is for ${key.mfr}, template says ${t.mfr}`);
    if (key.classes && !key.classes.includes(t.cls)) throw new SimedgeError('KEY_NOT_VALID', `class ${t.cls} not allowed`);
  },
};

/** iat <= now < exp, in seconds. */
export const expiryStep: ValidationStep = {
  name: 'expiry',
  run(env, acc) {
    const t = need(acc, 'template');
    const sec = Math.floor(env.now / 1000);
    if (sec < t.iat || sec >= t.exp) throw new SimedgeError('TEMPLATE_EXPIRED', `valid ${t.iat}..${t.exp}, now ${sec}`);
  },
};

export const subscriberStep: ValidationStep = {
  name: 'subscriber',
  run(env, acc) {
    const s = env.store.subscriber(env.msg.imsi);
    if (!s) throw new SimedgeError('UNKNOWN_IMSI');
    acc.subscriber = s;
  },
};

/** Network attestation, minimal form: the network reported this IMSI attached [step 201]. */
export const attachStep: ValidationStep = {
  name: 'attach',
  run(env, acc) {
    const a = env.store.attachOf(env.msg.imsi);
    if (!a) throw new SimedgeError('NO_ATTACH');
    acc.attach = a;
  },
};

/** The edge of the attach cell (cell table first, then an online edge advertising the cell), online. */
export const placementStep: ValidationStep = {
  name: 'placement',
  run(env, acc) {
    const cell = need(acc, 'attach').cell;
    const edge = env.store.edgeForCell(cell) ?? env.edges.servingCell(cell);
    if (edge === undefined) throw new SimedgeError('NO_EDGE', `no edge for cell ${cell}`);
    if (!env.edges.isOnline(edge)) throw new SimedgeError('NO_EDGE', `edge ${edge} is offline`);
    acc.edge = edge;
  },
};
