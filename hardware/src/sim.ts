// The emulated SIM: identity (IMSI, ICCID), the home PLMN taken from the IMSI, PIN/PUK state,
// the few elementary files a driver reads through AT+CRSM, and the UICC with its IoT SAFE applet
// (a P-256 key per SIM) that AT+CSIM talks to. Pure state, no I/O.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AtFail, CME } from './modem/result.js';
import { UiccCard } from './uicc/card.js';
import { IotSafeApplet, type SignatureFormat } from './uicc/iot-safe.js';

export interface SimProfile {
  imsi: string;
  iccid: string;
  /** When set, the SIM starts locked until AT+CPIN="<pin>". */
  pin?: string;
  /** When set, AT+CPIN="<puk>","<new pin>" unblocks a SIM locked after 3 wrong PINs. */
  puk?: string;
  /** Digits of the MNC in the IMSI (EF_AD byte 4) [TS31.102 §4.2.18]; default 2. */
  mncLength?: 2 | 3;
  /**
   * Equivalent home PLMNs (EF_EHPLMN [TS31.102 §4.2.84]): registered on one of them the modem
   * reports `<stat>` 1, home, although the PLMN is not the IMSI's - as SIMs of MVNOs and
   * national roaming do. Default none: every PLMN but the home one gives stat 5.
   */
  ehplmn?: string[];
  /** The IoT SAFE applet's P-256 private key (KeyObject or PKCS#8/SEC1 PEM); generated when absent. */
  iotSafeKey?: KeyObject | string;
  /** How COMPUTE SIGNATURE returns the signature in tag 33: raw r‖s (IoT.05, default) or DER. */
  iotSafeSignatureFormat?: SignatureFormat;
}

export type PinState = 'READY' | 'SIM PIN' | 'SIM PUK';

const PIN_ATTEMPTS = 3; // [TS31.101 §9.5] PIN retry counter initial value

/** Checks a profile's fields; TypeError/RangeError for a malformed one. */
export function checkSimProfile(p: SimProfile): void {
  if (typeof p !== 'object' || p === null) throw new TypeError('sim profile must be an object');
  // [TS23.003 §2.2] IMSI: MCC(3) + MNC(2-3) + MSIN, at most 15 digits.
  if (typeof p.imsi !== 'string' || !/^[0-9]{6,15}$/.test(p.imsi)) throw new RangeError('sim.imsi must be 6-15 digits');
  // [ITU-T E.118] ICCID: up to 19-20 digits (we accept what the wire format accepts).
  if (typeof p.iccid !== 'string' || !/^[0-9]{10,22}$/.test(p.iccid)) throw new RangeError('sim.iccid must be 10-22 digits');
  if (p.pin !== undefined && !/^[0-9]{4,8}$/.test(p.pin)) throw new RangeError('sim.pin must be 4-8 digits');
  if (p.puk !== undefined && !/^[0-9]{8}$/.test(p.puk)) throw new RangeError('sim.puk must be 8 digits');
  if (p.mncLength !== undefined && p.mncLength !== 2 && p.mncLength !== 3) throw new RangeError('sim.mncLength must be 2 or 3');
  if (p.ehplmn !== undefined && (!Array.isArray(p.ehplmn) || !p.ehplmn.every((x) => typeof x === 'string' && /^[0-9]{5,6}$/.test(x)))) {
    throw new RangeError('sim.ehplmn must be a list of 5-6 digit PLMNs');
  }
  if (p.iotSafeSignatureFormat !== undefined && p.iotSafeSignatureFormat !== 'raw' && p.iotSafeSignatureFormat !== 'der') {
    throw new RangeError("sim.iotSafeSignatureFormat must be 'raw' or 'der'");
  }
}

/** The profile's IoT SAFE key as a P-256 private KeyObject; TypeError for anything else. */
function loadIotSafeKey(k: KeyObject | string): KeyObject {
  const key = typeof k === 'string' ? createPrivateKey(k) : k;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('sim.iotSafeKey must be a P-256 private key');
  }
  return key;
}

/** Home PLMN = MCC (3 digits) + MNC (mncLength digits) at the start of the IMSI [TS23.003 §2.2]. */
export function homePlmn(p: SimProfile): string {
  return p.imsi.slice(0, 3 + (p.mncLength ?? 2));
}

export class SimCard {
  readonly profile: SimProfile;
  private pin: string | undefined;
  private attempts = PIN_ATTEMPTS;
  private _state: PinState;
  private keys: { priv: KeyObject; pub: KeyObject } | undefined;
  /** The card behind AT+CSIM, with the IoT SAFE applet. */
  readonly uicc: UiccCard;

  constructor(profile: SimProfile) {
    checkSimProfile(profile);
    this.profile = { ...profile, ...(profile.ehplmn ? { ehplmn: [...profile.ehplmn] } : {}) };
    this.pin = profile.pin;
    this._state = profile.pin === undefined ? 'READY' : 'SIM PIN';
    if (profile.iotSafeKey !== undefined) {
      const priv = loadIotSafeKey(profile.iotSafeKey);
      this.keys = { priv, pub: createPublicKey(priv) };
    }
    this.uicc = new UiccCard(new IotSafeApplet(() => this.iotSafeKeys(), profile.iotSafeSignatureFormat ?? 'raw'));
  }

  /** The applet's key pair, generated on first use when the profile gave none. */
  iotSafeKeys(): { priv: KeyObject; pub: KeyObject } {
    if (!this.keys) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.keys = { priv: privateKey, pub: publicKey };
    }
    return this.keys;
  }

  get state(): PinState { return this._state; }
  get ready(): boolean { return this._state === 'READY'; }
  get imsi(): string { return this.profile.imsi; }
  get iccid(): string { return this.profile.iccid; }
  get homePlmn(): string { return homePlmn(this.profile); }
  /** Whether the modem reports `plmn` as home (stat 1): the home PLMN or an equivalent one (EF_EHPLMN). */
  isHome(plmn: string): boolean { return plmn === this.homePlmn || (this.profile.ehplmn ?? []).includes(plmn); }

  /** Throws the +CME ERROR a locked SIM answers with [TS27.007 §9.2.1]. */
  requireReady(): void {
    if (this._state === 'SIM PIN') throw new AtFail(CME.SIM_PIN_REQUIRED);
    if (this._state === 'SIM PUK') throw new AtFail(CME.SIM_PUK_REQUIRED);
  }

  /** AT+CPIN=<pin>[,<newpin>] [TS27.007 §8.3]. */
  enter(code: string, newPin: string | undefined): void {
    switch (this._state) {
      case 'READY':
        // Nothing is waiting for a password: real modems refuse rather than re-verify.
        throw new AtFail(CME.NOT_ALLOWED);
      case 'SIM PIN':
        if (newPin !== undefined) throw new AtFail(CME.INCORRECT_PARAMETERS);
        if (code === this.pin) {
          this.attempts = PIN_ATTEMPTS;
          this._state = 'READY';
          return;
        }
        this.attempts -= 1;
        if (this.attempts <= 0) this._state = 'SIM PUK';
        throw new AtFail(CME.INCORRECT_PASSWORD);
      case 'SIM PUK':
        if (newPin === undefined) throw new AtFail(CME.SIM_PUK_REQUIRED);
        if (!/^[0-9]{4,8}$/.test(newPin)) throw new AtFail(CME.INCORRECT_PARAMETERS);
        if (this.profile.puk === undefined || code !== this.profile.puk) throw new AtFail(CME.INCORRECT_PASSWORD);
        this.pin = newPin;
        this.attempts = PIN_ATTEMPTS;
        this._state = 'READY';
        return;
    }
  }

  /** READ BINARY of a transparent EF [TS31.102 §4.2], or undefined when the file does not exist. */
  readBinary(fileId: number): { data: Uint8Array; needsPin: boolean } | undefined {
    switch (fileId) {
      case 0x2fe2: return { data: iccidBcd(this.profile.iccid), needsPin: false }; // EF_ICCID [TS102.221 §13.2]
      case 0x6fad: return { data: Uint8Array.of(0, 0, 0, this.profile.mncLength ?? 2), needsPin: false }; // EF_AD [TS31.102 §4.2.18]
      case 0x6f07: return { data: imsiBytes(this.profile.imsi), needsPin: true }; // EF_IMSI [TS31.102 §4.2.2]
      default: return undefined;
    }
  }
}

/** EF_ICCID: 10 bytes, BCD with swapped nibbles, padded with F [TS102.221 §13.2]. */
function iccidBcd(iccid: string): Uint8Array {
  const out = new Uint8Array(10).fill(0xff);
  for (let i = 0; i < Math.min(iccid.length, 20); i++) {
    const d = iccid.charCodeAt(i) - 48;
    const b = out[i >> 1] as number;
    out[i >> 1] = i % 2 === 0 ? (b & 0xf0) | d : (b & 0x0f) | (d << 4);
  }
  return out;
}

/** EF_IMSI: length byte, then parity nibble + digits, nibble-swapped, F-padded [TS31.102 §4.2.2]. */
function imsiBytes(imsi: string): Uint8Array {
  const nibbles = [imsi.length % 2 === 1 ? 9 : 1, ...Array.from(imsi, (c) => c.charCodeAt(0) - 48)];
  if (nibbles.length % 2 === 1) nibbles.push(0xf);
  const out = new Uint8Array(9).fill(0xff);
  out[0] = nibbles.length / 2;
  for (let i = 0; i < nibbles.length; i += 2) out[1 + i / 2] = ((nibbles[i + 1] as number) << 4) | (nibbles[i] as number);
  return out;
}
