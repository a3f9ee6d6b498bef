// The UICC behind AT+CSIM: logical channels (MANAGE CHANNEL), application selection by AID
// (SELECT), GET RESPONSE for data left behind a 61xx status, and dispatch of proprietary
// commands to the IoT SAFE applet selected on the channel [ISO/IEC 7816-4 §7.1.1, §7.1.2,
// §7.6.1; TS 102.221 §11.1.1, §11.1.17]. Channels 0-3 exist; 0 is always open.
import { SW, channelOf, parseApdu, withSw, type Apdu } from './apdu.js';
import { IOT_SAFE_AID, IotSafeApplet } from './iot-safe.js';

const INS_MANAGE_CHANNEL = 0x70;
const INS_SELECT = 0xa4;
const INS_GET_RESPONSE = 0xc0;
const CHANNELS = 4;

export class UiccCard {
  private readonly open = new Set<number>([0]);
  private readonly selected = new Map<number, 'iot-safe'>();
  private readonly pending = new Map<number, Uint8Array>();

  constructor(private readonly applet: IotSafeApplet) {}

  /** One command APDU in, the response (data ‖ SW1 SW2) out. */
  transmit(bytes: Uint8Array): Uint8Array {
    const a = parseApdu(bytes);
    if (!a) return withSw(new Uint8Array(0), SW.WRONG_LENGTH);
    if (a.cla === 0xff || (a.cla & 0x20) !== 0) return withSw(new Uint8Array(0), SW.CLA_NOT_SUPPORTED);
    const ch = channelOf(a.cla);
    if (!this.open.has(ch)) return withSw(new Uint8Array(0), SW.CHANNEL_NOT_SUPPORTED);
    const proprietary = (a.cla & 0x80) !== 0;
    if (!proprietary && a.ins === INS_GET_RESPONSE) return this.getResponse(ch, a);
    // Any other command discards data still waiting for GET RESPONSE [7816-4 §7.6.1].
    this.pending.delete(ch);
    if (proprietary) {
      if (this.selected.get(ch) !== 'iot-safe') return withSw(new Uint8Array(0), SW.INS_NOT_SUPPORTED);
      const r = this.applet.process(a);
      if (r.data.length === 0 || r.sw !== SW.OK || a.ins === 0x84) return withSw(r.data, r.sw);
      this.pending.set(ch, r.data);
      return withSw(new Uint8Array(0), 0x6100 | Math.min(r.data.length, 0xff));
    }
    switch (a.ins) {
      case INS_MANAGE_CHANNEL: return this.manageChannel(ch, a);
      case INS_SELECT: return this.select(ch, a);
      default: return withSw(new Uint8Array(0), SW.INS_NOT_SUPPORTED);
    }
  }

  /** MANAGE CHANNEL: P1 00 open (P2 00: the card picks), P1 80 close channel P2 [7816-4 §7.1.2]. */
  private manageChannel(ch: number, a: Apdu): Uint8Array {
    if (a.p1 === 0x00) {
      if (a.p2 !== 0x00 || ch !== 0) return withSw(new Uint8Array(0), SW.WRONG_P1P2);
      for (let n = 1; n < CHANNELS; n++) {
        if (this.open.has(n)) continue;
        this.open.add(n);
        return withSw(Uint8Array.of(n), SW.OK);
      }
      return withSw(new Uint8Array(0), SW.NO_MORE_CHANNELS);
    }
    if (a.p1 === 0x80) {
      const target = a.p2 === 0 ? ch : a.p2;
      if (target === 0) return withSw(new Uint8Array(0), SW.WRONG_P1P2);
      if (!this.open.has(target)) return withSw(new Uint8Array(0), SW.CHANNEL_NOT_SUPPORTED);
      this.open.delete(target);
      if (this.selected.delete(target)) this.applet.reset();
      this.pending.delete(target);
      return withSw(new Uint8Array(0), SW.OK);
    }
    return withSw(new Uint8Array(0), SW.WRONG_P1P2);
  }

  /** SELECT by DF name (P1 04): the IoT SAFE AID, or a prefix of it (partial selection) [7816-4 §7.1.1]. */
  private select(ch: number, a: Apdu): Uint8Array {
    if (a.p1 !== 0x04) return withSw(new Uint8Array(0), SW.WRONG_P1P2);
    const aid = a.data;
    const match = aid.length >= 5 && aid.length <= IOT_SAFE_AID.length && aid.every((b, i) => b === IOT_SAFE_AID[i]);
    if (!match) return withSw(new Uint8Array(0), SW.FILE_NOT_FOUND);
    if (this.selected.get(ch) === 'iot-safe') this.applet.reset();
    this.selected.set(ch, 'iot-safe');
    return withSw(new Uint8Array(0), SW.OK);
  }

  /** GET RESPONSE [7816-4 §7.6.1]: Le bytes of the waiting data; 61xx while more remain. */
  private getResponse(ch: number, a: Apdu): Uint8Array {
    const data = this.pending.get(ch);
    if (!data || a.p1 !== 0 || a.p2 !== 0) return withSw(new Uint8Array(0), data ? SW.WRONG_P1P2 : SW.CONDITIONS_NOT_SATISFIED);
    const n = Math.min(a.le ?? 256, data.length);
    const rest = data.subarray(n);
    if (rest.length === 0) this.pending.delete(ch);
    else this.pending.set(ch, rest);
    return withSw(data.subarray(0, n), rest.length === 0 ? SW.OK : 0x6100 | Math.min(rest.length, 0xff));
  }
}
