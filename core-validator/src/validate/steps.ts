// The validation steps of a `prov` about the template and the registry [step 204], each small and
// each failing with one stable code. Order matters and is fixed in pipeline.ts: structure first,
// the signature before anything in the payload is trusted [STYLE #10]. SIM steps are in
// sim-steps.ts, policy/quota/placement in policy-steps.ts.
import { SimedgeError, decodeCbor, decodeSign1, validateTemplate, verifySign1 } from '@simedge/device-sdk/wire';
import { trustKeyObject } from './key-cache.js';
import { need, type ValidationStep } from './types.js';

export type { Established, StepEnv, Validated, ValidationStep } from './types.js';
export { need } from './types.js';

/** Largest template COSE_Sign1 looked at (the `prov` decoder caps `tpl` at the same size). */
export const MAX_TEMPLATE_BYTES = 8192;

/** [RFC9052 §4.2] COSE_Sign1 structure with decode limits (CBOR_*, COSE_INVALID). */
export const decodeStep: ValidationStep = {
  name: 'decode',
  run(env, acc) {
    acc.cose = decodeSign1(env.msg.tpl, { maxBytes: MAX_TEMPLATE_BYTES });
  },
};

/** The challenge nonce was issued to this IMSI, is unused and unexpired. Consumed whatever the
 *  outcome: here, or by the pipeline when an earlier step failed. */
export const nonceStep: ValidationStep = {
  name: 'nonce',
  async run(env, acc) {
    acc.nonceTaken = true;
    if (!await env.store.takeNonce(env.msg.imsi, env.msg.nonce, env.now)) throw new SimedgeError('BAD_NONCE');
  },
};

export const keyStep: ValidationStep = {
  name: 'key',
  async run(env, acc) {
    const key = await env.store.trustKey(need(acc, 'cose').kid);
    if (!key) throw new SimedgeError('UNKNOWN_KEY', need(acc, 'cose').kid);
    acc.key = key;
  },
};

/** [RFC9052 §4.4] The manufacturer's signature over the Sig_structure. */
export const signatureStep: ValidationStep = {
  name: 'signature',
  run(_env, acc) {
    if (!verifySign1(need(acc, 'cose'), trustKeyObject(need(acc, 'key').publicKey))) throw new SimedgeError('BAD_SIGNATURE');
  },
};

export const templateStep: ValidationStep = {
  name: 'template',
  run(_env, acc) {
    acc.template = validateTemplate(decodeCbor(need(acc, 'cose').payload, { maxBytes: MAX_TEMPLATE_BYTES }));
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

/** Anti-rollback [DESIGN "Trust"]: seq is not below the highest accepted for this manufacturer's
 *  template id. Equal is fine: the same template re-sent after a reset. Keyed by manufacturer too,
 *  so one manufacturer cannot lock out another's template id with a huge seq. */
export const rollbackStep: ValidationStep = {
  name: 'rollback',
  async run(env, acc) {
    const t = need(acc, 'template');
    const highest = await env.store.templateSeq(t.mfr, t.tid);
    if (highest !== undefined && t.seq < highest) throw new SimedgeError('TEMPLATE_ROLLBACK', `${t.tid} seq ${t.seq} < ${highest}`);
  },
};

export const subscriberStep: ValidationStep = {
  name: 'subscriber',
  async run(env, acc) {
    const s = await env.store.subscriber(env.msg.imsi);
    if (!s) throw new SimedgeError('UNKNOWN_IMSI');
    acc.subscriber = s;
  },
};

/** The network reported this IMSI attached [step 201]: the serving PLMN and cell come from here,
 *  never from the device. */
export const attachStep: ValidationStep = {
  name: 'attach',
  async run(env, acc) {
    const a = await env.store.attachOf(env.msg.imsi);
    if (!a) throw new SimedgeError('NO_ATTACH');
    acc.attach = a;
  },
};
