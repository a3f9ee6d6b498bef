// The `"<n raw bytes>"` field at the end of a receive URC (`+QMTRECV: …,<len>,"<payload>"`,
// `+UMQTTC: 6,…,<len>,"<msg>"`). The length comes first, so the payload is read by count, not by
// looking for the closing quote. A CR or LF inside the payload ends the framer's line early; the
// rest is then fetched raw with expectBytes and the lost terminator is reconstructed:
//
//   line cut by CR LF (2 bytes swallowed): the raw block ends `"` CR      → payload = head CR LF rest
//   line cut by a lone CR or a lone LF   : the raw block ends `"`          → the byte is `term`
//
// `term` is the byte that ended the line: the AT engine passes it to URC handlers as their second
// argument. Without it (an engine that does not report it) a payload with a lone CR or LF is
// dropped (reported through `bad`) rather than guessed. Drivers prefer the modem's hex mode where
// there is one. The reasons given to `bad` are diagnostics: empty in the lean build (DETAIL).
import type { AtEngine } from '../at/engine.js';
import { byteString, concatBytes } from './bytes.js';
import { DETAIL } from '../flags.js';

const QUOTE = 34;
const CR = 13;

export function readQuoted(
  at: AtEngine, line: string, start: number, n: number, term: number | undefined,
  done: (payload: Uint8Array) => void, bad: (why: string) => void,
): void {
  const rest = line.substring(start);
  if (rest.length > n) {
    if (rest.charAt(n) === '"') done(byteString(rest.substring(0, n)));
    else bad(DETAIL ? 'payload longer than its announced ' + n + ' bytes' : '');
    return;
  }
  if (rest.length === n) {
    bad(DETAIL ? 'payload has no closing quote' : '');
    return;
  }
  const head = byteString(rest);
  const m = n - rest.length;
  at.expectBytes(m, (b) => {
    if (b.length !== m) return bad(DETAIL ? 'short payload' : '');
    if (b[m - 1] === QUOTE) {
      if (term !== 13 && term !== 10) return bad(DETAIL ? 'payload holds a lone CR or LF the framer cannot restore' : '');
      return done(concatBytes([head, new Uint8Array([term]), b.subarray(0, m - 1)]));
    }
    if (m >= 2 && b[m - 2] === QUOTE && b[m - 1] === CR) {
      return done(concatBytes([head, new Uint8Array([13, 10]), b.subarray(0, m - 2)]));
    }
    bad(DETAIL ? 'payload is not followed by its closing quote' : '');
  });
}
