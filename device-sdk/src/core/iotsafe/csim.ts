// APDUs to the SIM over `AT+CSIM=<2×len>,"<HEX>"` [TS27.007 §8.17]: one command APDU out, the
// response data and status word back. Replies are accepted quoted or unquoted (`+CSIM: 4,9000`
// on some modems), the announced length is checked, and `61xx` (more data) is drained with
// GET RESPONSE, `6Cxx` (wrong Le) re-sent with the right Le. [ISO7816-4 §5.1.3, §7.6.1]
import { SimedgeError } from '../../wire/codes.js';
import type { AtEngine } from '../at/engine.js';
import { concatBytes, fromHex, upperHex } from '../transport/bytes.js';
import { rangeError, toHex } from '../platform.js';
import { FULL } from '../flags.js';
import { fieldsOf } from '../cereg.js';
import { digits } from '../../wire/chars.js';

export interface Rapdu {
  data: Uint8Array;
  sw: number;
}

/** Bound on GET RESPONSE rounds: a card that keeps answering 61xx is broken or hostile. */
const MAX_CHAIN = 16;

/**
 * Parse one `+CSIM: <len>,"<hex>"` line (quotes optional); undefined when the line is not a
 * well-formed reply. Fields and lengths are checked by the field splitter and loops, not a
 * RegExp: Espruino's has no `{n,m}` or `?` (wire/chars.ts).
 */
export function parseCsim(line: string): Rapdu | undefined {
  const f = fieldsOf(line, '+CSIM:');
  if (!f || f.length !== 2) return undefined;
  const hex = f[1] as string;
  if (!digits(f[0], 1, 4) || parseInt(f[0] as string, 10) !== hex.length || hex.length < 4) return undefined;
  const b = fromHex(hex);
  if (!b) return undefined;
  const n = b.length;
  return { data: b.subarray(0, n - 2), sw: ((b[n - 2] as number) << 8) | (b[n - 1] as number) };
}

/** SW as 4 upper-case hex digits. */
export function swHex(sw: number): string {
  return upperHex(new Uint8Array([sw >> 8, sw & 0xff]));
}

/**
 * Class byte for a logical channel: channels 1-3 in b1-b2 (first interindustry values), 4-19 in
 * b1-b4 with b7 set (further interindustry values). base is 0x00 or 0x80 (proprietary).
 * [ISO7816-4 §5.4.1]
 */
export function claFor(base: number, channel: number): number {
  // FULL: in the Espruino bundle only iotsafe.ts calls this, with a channel it checked (core/flags.ts).
  if (FULL && !(channel >= 0 && channel <= 19 && Math.floor(channel) === channel)) throw rangeError('logical channel is 0..19');
  return channel <= 3 ? base | channel : base | 0x40 | (channel - 4);
}

/** Send one APDU, no chaining. */
export function transmit(at: AtEngine, apdu: Uint8Array): Promise<Rapdu> {
  // toHex is in every bundle already (request ids); upperHex would be a second copy on Espruino.
  const hex = toHex(apdu).toUpperCase();
  return at.send('AT+CSIM=' + hex.length + ',"' + hex + '"', { timeoutMs: 10000 }).then((lines) => {
    for (let i = 0; i < lines.length; i++) {
      const r = parseCsim(lines[i] as string);
      if (r) return r;
    }
    throw new SimedgeError('IOTSAFE_FAILED', 'no well-formed +CSIM reply to ' + hex.substring(0, 8));
  }, (e: unknown) => {
    const d = e instanceof SimedgeError ? e.code + (e.detail ? ' ' + e.detail : '') : String(e);
    throw new SimedgeError('IOTSAFE_FAILED', 'AT+CSIM ' + hex.substring(0, 8) + ': ' + d);
  });
}

/**
 * Send an APDU and collect its whole response: GET RESPONSE (`0<ch> C0 00 00 xx`, on the same
 * logical channel) while the card says 61xx. Resolves with the final data and SW.
 */
export function exchange(at: AtEngine, apdu: Uint8Array, channel: number): Promise<Rapdu> {
  const cla = claFor(0x00, channel); // GET RESPONSE is an interindustry command on the same channel
  const parts: Uint8Array[] = [];
  const step = (r: Rapdu, rounds: number, resent: boolean): Promise<Rapdu> => {
    const sw1 = r.sw >> 8;
    if (sw1 === 0x61) {
      parts.push(r.data);
      if (rounds >= MAX_CHAIN) throw new SimedgeError('IOTSAFE_FAILED', 'SW 61xx chain too long');
      return transmit(at, new Uint8Array([cla, 0xc0, 0x00, 0x00, r.sw & 0xff])).then((n) => step(n, rounds + 1, resent));
    }
    if (sw1 === 0x6c && !resent) {
      const again = apdu.slice();
      again[again.length - 1] = r.sw & 0xff; // same command, Le from the card
      return transmit(at, again).then((n) => step(n, rounds, true));
    }
    parts.push(r.data);
    return Promise.resolve({ data: concatBytes(parts), sw: r.sw });
  };
  return transmit(at, apdu).then((r) => step(r, 0, false));
}
