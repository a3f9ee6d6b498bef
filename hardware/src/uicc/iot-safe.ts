// The GSMA IoT SAFE applet (AID A0 00 00 05 59 00 10) as the emulated SIM carries it: one NIST
// P-256 key pair (private key ID 01, label "SIGN"; public key ID 01, label "SIGN"), COMPUTE
// SIGNATURE init / update, READ PUBLIC KEY and GET RANDOM [GSMA IoT.05 v1 §3-§5; IoT SAFE APDU
// library by Orange]. The signature comes back in tag 33 as raw r‖s (the spec) or DER (what some
// applets do), chosen per SIM. Responses longer than the status word are left for GET RESPONSE
// (61xx), as a T=0 card behind AT+CSIM does.
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { SW, parseTlvs, tlv, type Apdu } from './apdu.js';
import { privateScalar, rawToDer, signDigest } from './ecdsa-p256.js';

export const IOT_SAFE_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x59, 0x00, 0x10);

export const INS = { COMPUTE_SIGNATURE_INIT: 0x2a, COMPUTE_SIGNATURE_UPDATE: 0x2b, READ_PUBLIC_KEY: 0xcd, GET_RANDOM: 0x84 } as const;
export const TAG = {
  PRIVATE_KEY_ID: 0x84, PRIVATE_KEY_LABEL: 0x74, PUBLIC_KEY_ID: 0x85, PUBLIC_KEY_LABEL: 0x75,
  MODE: 0xa1, HASH_ALG: 0x91, SIG_ALG: 0x92, HASH: 0x9e, DATA: 0x9b,
  SIGNATURE: 0x33, PUBLIC_KEY_DATA: 0x34, EC_POINT: 0x49,
} as const;
const HASH_SHA256 = 0x01;
const SIG_ECDSA = 0x04;
const KEY_ID = 0x01;
const KEY_LABEL = 'SIGN';
const MAX_SESSIONS = 4;

export type SignatureFormat = 'raw' | 'der';
export interface AppletReply { data: Uint8Array; sw: number }

interface Session { data: Buffer[]; hash: Uint8Array | undefined }

const reply = (sw: number, data: Uint8Array = new Uint8Array(0)): AppletReply => ({ data, sw });

export class IotSafeApplet {
  private readonly sessions = new Map<number, Session>();

  constructor(private readonly key: () => { priv: KeyObject; pub: KeyObject }, private readonly format: SignatureFormat) {}

  /** A proprietary (CLA 8x) command on a channel where the applet is selected. */
  process(a: Apdu): AppletReply {
    switch (a.ins) {
      case INS.COMPUTE_SIGNATURE_INIT: return this.init(a);
      case INS.COMPUTE_SIGNATURE_UPDATE: return this.update(a);
      case INS.READ_PUBLIC_KEY: return this.readPublicKey(a);
      case INS.GET_RANDOM:
        if (a.p1 !== 0 || a.p2 !== 0) return reply(SW.WRONG_P1P2);
        return reply(SW.OK, new Uint8Array(randomBytes(a.le ?? 16)));
      default: return reply(SW.INS_NOT_SUPPORTED);
    }
  }

  /** Channel closed or applet deselected: its sessions end [IoT.05 §4.4]. */
  reset(): void {
    this.sessions.clear();
  }

  /** Does a key reference (84/74 private, 85/75 public) name our key pair? */
  private static keyMatches(tlvs: Array<{ tag: number; value: Uint8Array }>, idTag: number, labelTag: number): 'ok' | 'none' | 'bad' {
    const refs = tlvs.filter((t) => t.tag === idTag || t.tag === labelTag);
    if (refs.length !== 1) return 'bad';
    const r = refs[0] as { tag: number; value: Uint8Array };
    if (r.tag === idTag) return r.value.length === 1 && r.value[0] === KEY_ID ? 'ok' : 'none';
    return Buffer.from(r.value).toString('latin1') === KEY_LABEL ? 'ok' : 'none';
  }

  /** COMPUTE SIGNATURE init: P1 00 open / 80 close the session P2 [IoT.05 §5.2.3]. */
  private init(a: Apdu): AppletReply {
    if (a.p2 >= MAX_SESSIONS) return reply(SW.WRONG_P1P2);
    if (a.p1 === 0x80) {
      this.sessions.delete(a.p2);
      return reply(SW.OK);
    }
    if (a.p1 !== 0x00) return reply(SW.WRONG_P1P2);
    const tlvs = parseTlvs(a.data);
    if (!tlvs) return reply(SW.WRONG_DATA);
    const key = IotSafeApplet.keyMatches(tlvs, TAG.PRIVATE_KEY_ID, TAG.PRIVATE_KEY_LABEL);
    if (key === 'bad') return reply(SW.WRONG_DATA);
    if (key === 'none') return reply(SW.REFERENCED_DATA_NOT_FOUND);
    const hash = tlvs.find((t) => t.tag === TAG.HASH_ALG)?.value;
    const sig = tlvs.find((t) => t.tag === TAG.SIG_ALG)?.value;
    const mode = tlvs.find((t) => t.tag === TAG.MODE)?.value;
    // The hash algorithm is two bytes in the spec (00 01), one in some hosts: the last byte counts.
    if (!hash || hash.length < 1 || hash.length > 2 || hash[hash.length - 1] !== HASH_SHA256) return reply(SW.WRONG_DATA);
    if (!sig || sig.length !== 1 || ((sig[0] as number) & SIG_ECDSA) === 0) return reply(SW.WRONG_DATA);
    if (!mode || mode.length !== 1 || (mode[0] as number) < 1 || (mode[0] as number) > 3) return reply(SW.WRONG_DATA);
    this.sessions.set(a.p2, { data: [], hash: undefined });
    return reply(SW.OK);
  }

  /** COMPUTE SIGNATURE update: P1 00 more data / 80 last block; 9E = SHA-256, 9B = data [IoT.05 §5.2.4]. */
  private update(a: Apdu): AppletReply {
    if (a.p2 >= MAX_SESSIONS || (a.p1 !== 0x00 && a.p1 !== 0x80)) return reply(SW.WRONG_P1P2);
    const s = this.sessions.get(a.p2);
    if (!s) return reply(SW.CONDITIONS_NOT_SATISFIED);
    const tlvs = parseTlvs(a.data);
    if (!tlvs || tlvs.length !== 1) return reply(SW.WRONG_DATA);
    const t = tlvs[0] as { tag: number; value: Uint8Array };
    if (t.tag === TAG.HASH) {
      if (t.value.length !== 32 || a.p1 !== 0x80 || s.data.length > 0) return reply(SW.WRONG_DATA);
      s.hash = t.value;
    } else if (t.tag === TAG.DATA) {
      if (s.hash) return reply(SW.WRONG_DATA);
      s.data.push(Buffer.from(t.value));
    } else {
      return reply(SW.WRONG_DATA);
    }
    if (a.p1 === 0x00) return reply(SW.OK);
    const digest = s.hash ?? new Uint8Array(createHash('sha256').update(Buffer.concat(s.data)).digest());
    this.sessions.delete(a.p2); // one signature per session
    const raw = signDigest(privateScalar(this.key().priv), digest);
    return reply(SW.OK, tlv(TAG.SIGNATURE, this.format === 'der' ? rawToDer(raw) : raw));
  }

  /** READ PUBLIC KEY: 34 { 49 <04‖X‖Y> } for public key ID 01 / label "SIGN" [IoT.05 §5.2.9]. */
  private readPublicKey(a: Apdu): AppletReply {
    if (a.p1 !== 0 || a.p2 !== 0) return reply(SW.WRONG_P1P2);
    const tlvs = parseTlvs(a.data);
    if (!tlvs) return reply(SW.WRONG_DATA);
    const key = IotSafeApplet.keyMatches(tlvs, TAG.PUBLIC_KEY_ID, TAG.PUBLIC_KEY_LABEL);
    if (key === 'bad') return reply(SW.WRONG_DATA);
    if (key === 'none') return reply(SW.REFERENCED_DATA_NOT_FOUND);
    const point = new Uint8Array(this.key().pub.export({ format: 'der', type: 'spki' }).subarray(-65));
    return reply(SW.OK, tlv(TAG.PUBLIC_KEY_DATA, tlv(TAG.EC_POINT, point)));
  }
}
