// IoT SAFE client (GSMA IoT.05-A03): the SIM applet signs with its P-256 key, the MCU only moves
// APDUs through AT+CSIM. This is how the device proves its SIM to the core in `prov` (DESIGN.md
// Trust): the applet signs `nonce ‖ SHA-256(template) ‖ IMSI`.
//
// Sequence: MANAGE CHANNEL open → SELECT the applet on that channel → COMPUTE SIGNATURE init
// (key, mode, algorithms) → update with the hash (GET RESPONSE on 61xx) → tag 33 = signature →
// MANAGE CHANNEL close, also when any step failed (a leaked channel blocks the next run: a card
// has only a few). Status words other than 9000 fail with IOTSAFE_FAILED and the SW in the detail.
import { SimedgeError } from '../wire/codes.js';
import type { AtEngine } from './at/engine.js';
import { claFor, exchange, swHex, type Rapdu } from './iotsafe/csim.js';
import { signatureToRaw } from './iotsafe/der.js';
import { findTlv, tlv } from './iotsafe/tlv.js';
import { byteString, concatBytes } from './transport/bytes.js';
import { allChars, digits } from '../wire/chars.js';
import { rangeError } from './platform.js';
import { FULL } from './flags.js';

/**
 * GSMA IoT SAFE applet AID. Marked pure so that a bundle which imports the core index but not
 * the IoT SAFE client (the Espruino thermometer's) leaves the array out: a bundler keeps a
 * top-level `new` it cannot prove free of side effects.
 */
export const IOTSAFE_AID = /* @__PURE__ */ new Uint8Array([0xa0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10]);

export interface IotSafeOptions {
  /** Private key object id (TLV 84); default 01 when no label is given. */
  keyId?: Uint8Array;
  /** Private key label (TLV 74), instead of keyId. */
  label?: string;
  /** Operation (session) number in P2 of COMPUTE SIGNATURE (default 1). */
  session?: number;
}

const SW_OK = 0x9000;
// TLV tags of COMPUTE SIGNATURE [GSMA IoT.05-A03 compute signature init/update]
const TAG_KEY_ID = 0x84;
const TAG_KEY_LABEL = 0x74;
const TAG_MODE = 0xa1;
const TAG_HASH_ALGO = 0x91;
const TAG_SIG_ALGO = 0x92;
const TAG_HASH = 0x9e;
const TAG_SIGNATURE = 0x33;
const MODE_SIGN_HASH = 0x03; // the hash is computed off-card and sent in 9E
const HASH_SHA256 = 0x01;
const SIG_ECDSA = 0x04;

function check(r: Rapdu, what: string): Rapdu {
  if (r.sw !== SW_OK) throw new SimedgeError('IOTSAFE_FAILED', 'SW ' + swHex(r.sw) + ' (' + what + ')');
  return r;
}

function apdu(head: number[], data: Uint8Array): Uint8Array {
  if (FULL && data.length > 255) throw rangeError('APDU data longer than 255 bytes'); // FULL: as tlv()
  const out = new Uint8Array(head.length + 1 + data.length);
  out.set(head, 0);
  out[head.length] = data.length;
  out.set(data, head.length + 1);
  return out;
}

/** Printable ASCII, 0x20..0x7e (a loop: Espruino's RegExp has no `{n,m}`, wire/chars.ts). */
const isPrintable = (c: number): boolean => c >= 0x20 && c <= 0x7e;

/** The key reference and session of COMPUTE SIGNATURE, checked (TypeError on a bad option). */
interface SignParams {
  key: Uint8Array;
  session: number;
}

function signParams(opts: IotSafeOptions | undefined): SignParams {
  const o = opts || {};
  const session = o.session === undefined ? 1 : o.session;
  if (!(session >= 0 && session <= 255 && Math.floor(session) === session)) throw new TypeError('iotSafeSign: session is 0..255');
  if (o.label !== undefined) {
    if (!allChars(o.label, 1, 60, isPrintable)) throw new TypeError('iotSafeSign: label must be 1..60 printable ASCII characters');
    return { key: tlv(TAG_KEY_LABEL, byteString(o.label)), session: session };
  }
  const id = o.keyId === undefined ? new Uint8Array([0x01]) : o.keyId;
  if (!(id instanceof Uint8Array) || id.length < 1 || id.length > 16) throw new TypeError('iotSafeSign: keyId must be 1..16 bytes');
  return { key: tlv(TAG_KEY_ID, id), session: session };
}

function needSha256(sha256: unknown): void {
  if (typeof sha256 !== 'function') throw new TypeError('iotSafeSign: sha256 must be a function');
}

/** The APDU sequence of the header, with checked parameters. */
function sign(at: AtEngine, message: Uint8Array, sha256: (b: Uint8Array) => Uint8Array, p: SignParams): Promise<Uint8Array> {
  const key = p.key;
  const session = p.session;
  const hash = sha256(message);
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new TypeError('iotSafeSign: sha256 must return 32 bytes');
  let ch = -1;
  const signed = exchange(at, new Uint8Array([0x00, 0x70, 0x00, 0x00, 0x01]), 0) // MANAGE CHANNEL open [ISO7816-4 §11.1.2]
    .then((r) => {
      check(r, 'open channel');
      const n = r.data[0];
      if (r.data.length !== 1 || n === undefined || n < 1 || n > 19) throw new SimedgeError('IOTSAFE_FAILED', 'open channel returned no channel number');
      ch = n;
      return exchange(at, apdu([claFor(0x00, ch), 0xa4, 0x04, 0x00], IOTSAFE_AID), ch); // SELECT by AID
    })
    .then((r) => {
      check(r, 'select applet');
      const init = concatBytes([
        key,
        tlv(TAG_MODE, new Uint8Array([MODE_SIGN_HASH])),
        tlv(TAG_HASH_ALGO, new Uint8Array([HASH_SHA256])),
        tlv(TAG_SIG_ALGO, new Uint8Array([SIG_ECDSA])),
      ]);
      return exchange(at, apdu([claFor(0x80, ch), 0x2a, 0x00, session], init), ch);
    })
    .then((r) => {
      check(r, 'compute signature init');
      // P1 80 = last (only) block
      return exchange(at, apdu([claFor(0x80, ch), 0x2b, 0x80, session], tlv(TAG_HASH, hash)), ch);
    })
    .then((r) => {
      check(r, 'compute signature update');
      const sig = findTlv(r.data, TAG_SIGNATURE);
      if (!sig) throw new SimedgeError('IOTSAFE_FAILED', 'no signature (tag 33) in the applet response');
      return signatureToRaw(sig);
    });
  const close = (): Promise<void> => {
    if (ch < 0) return Promise.resolve();
    // MANAGE CHANNEL close, on the basic channel; its failure must not hide the signing outcome.
    return exchange(at, new Uint8Array([0x00, 0x70, 0x80, ch]), 0).then(() => undefined, () => undefined);
  };
  return signed.then((sig) => close().then(() => sig), (e: unknown) => close().then(() => {
    throw e;
  }));
}

/**
 * Sign message with the SIM's IoT SAFE key (ECDSA P-256 over SHA-256(message)); resolves with the
 * raw r‖s signature (64 bytes), whether the applet returned raw or DER.
 */
export function iotSafeSign(at: AtEngine, message: Uint8Array, sha256: (b: Uint8Array) => Uint8Array, opts?: IotSafeOptions): Promise<Uint8Array> {
  if (!(message instanceof Uint8Array)) throw new TypeError('iotSafeSign: message must be a Uint8Array');
  needSha256(sha256);
  return sign(at, message, sha256, signParams(opts));
}

/** The bytes the SIM signs for a provisioning proof: nonce ‖ SHA-256(template) ‖ IMSI (ASCII). */
export function proofMessage(nonce: Uint8Array, templateCose: Uint8Array, imsi: string, sha256: (b: Uint8Array) => Uint8Array): Uint8Array {
  if (FULL && !digits(imsi, 6, 15)) throw new TypeError('proofMessage: IMSI must be 6..15 digits'); // FULL: as iotSafeProver
  return concatBytes([nonce, sha256(templateCose), byteString(imsi)]);
}

/** Sign the provisioning proof for a challenge with the SIM (raw r‖s, 64 bytes). */
export function provisionProof(
  at: AtEngine, sha256: (b: Uint8Array) => Uint8Array, nonce: Uint8Array, templateCose: Uint8Array, imsi: string, opts?: IotSafeOptions,
): Promise<Uint8Array> {
  return iotSafeSign(at, proofMessage(nonce, templateCose, imsi, sha256), sha256, opts);
}

/**
 * A `prove` for ProvisionOptions: every chal is answered with an IoT SAFE proof. The arguments
 * are checked here (TypeError), so a bad option fails where the prover is made, not at the first
 * chal, where the provisioning client could only report a failed proof.
 */
export function iotSafeProver(
  at: AtEngine, sha256: (b: Uint8Array) => Uint8Array, imsi: string, opts?: IotSafeOptions,
): (nonce: Uint8Array, template: Uint8Array) => Promise<Uint8Array> {
  // FULL: the Espruino firmware API checked sha256 and passes the IMSI attach read (core/flags.ts).
  if (FULL) needSha256(sha256);
  if (FULL && !digits(imsi, 6, 15)) throw new TypeError('iotSafeProver: IMSI must be 6..15 digits');
  const p = signParams(opts);
  return (nonce, template) => sign(at, proofMessage(nonce, template, imsi, sha256), sha256, p);
}
