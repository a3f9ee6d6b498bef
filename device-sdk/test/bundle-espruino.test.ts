// The Espruino bundles: the committed dist/espruino/simedge.min.js and simedge-iotsafe.min.js (the
// same with the IoT SAFE client) equal a fresh build of the sources (so they never go stale), pass
// the parser-based subset check, and do not grow; nor does the thermometer example's SIM7080 bundle.
// The budget is 12 KB minified (every byte of code lives in RAM on an Espruino board). The
// lean build (core/flags-lean.ts: no traces, no error text, no features the firmware API cannot
// reach, a lean CBOR profile, hex-only QMT receive), closures instead of classes in the core,
// internal names shortened, dead methods dropped and terser brought it from 30,605 to 18,958 bytes;
// provisioning through core/provisioner.ts (roaming re-provisioning, retries with backoff, the data
// budget) took it to 21,955; shared string literals and resolved promise, unread internal members
// dropped, closure factories called without `new` (so terser may write arrows) and a few
// lean-only trims brought it to 20,066; one retry loop instead of two (the lean MQTT session
// re-opens a lost link through the Provisioner's retries) and a few lean-only trims to 19,434;
// the CBOR decoder as one walk over local variables and one bookkeeping for the provisioning
// client's requests and its bye (one map, one deadline, one way to fail) to 19,132; the loops
// and promise handlers the real interpreter needs to 19,544; a data budget that meters the replies
// before they come and the MQTT link (CONNECT, keep-alive) to 20,613; refusing the `iotSafe`
// option of SimEdge.start (this bundle has no IoT SAFE client) to 20,642; dropping the message
// text of rangeError() (core/platform.ts) and the drivers' link-loss causes, and a top-level call
// nothing used, back to 20,578; the `homePlmn` option (roaming by home PLMN, patent claim 2:
// the EF_AD read of attach and isRoaming, as on NodeDevice) to 21,166; the bg95/bg96 dialect
// names, a bye resent after a link loss, MESSAGE_TOO_LARGE and the roam's term reservation to
// 21,416 (each below, at SIZE_CEILING): the budget is NOT met (see device-sdk/dist/espruino/size.txt
// and docs/firmware-guide.md §2: no choice of features meets it). A ratchet keeps it from growing.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildEspruino, buildEspruinoIotSafe, ESPRUINO_IOTSAFE_OUT, ESPRUINO_OUT, SIZE_BUDGET, sizeReport, type EspruinoBuild,
} from '../scripts/build-espruino.js';

/** Ratchet: lower it whenever the bundle shrinks; never raise it without saying why. */
// Raised from 75 * 256 to 86 * 256 for the firmware API's roaming, retries and data budget (about
// 3 KB), lowered again by the string, member and arrow passes of scripts/espruino-lean.ts and by
// one reconnect mechanism instead of two, and by the simpler decoder and client bookkeeping.
// Raised from 19,200 to 19,600 for the real Espruino interpreter: its RegExp engine has no
// {n,m}, ? or alternation in a group, so lengths and character sets are checked by loops
// (wire/chars.ts), and promises always get both handlers (about 400 bytes).
// Raised from 19,600 to 20,669 by exactly the growth of the bundle (19,544 → 20,613 bytes) for a
// data budget that holds on the air (core/budget.ts): a send is admitted only with room for the
// replies it causes, which are reconciled when they come (the client's codec is metered to know
// which reply it is), and the modem's MQTT link is metered (CONNECT on every open, keep-alive
// pings while it is up, DISCONNECT), which needs a wrapper around the driver. Before, a reply
// or the modem's own pings could take the day over its limit unseen.
// Not raised for the 29 bytes (20,613 → 20,642) of refusing `iotSafe` in a bundle without the IoT
// SAFE client, a TypeError from start() instead of provisioning without the proof a core may require.
// Lowered to 20,605 (20,578 + the same 27 bytes of headroom) when the lean build dropped the text
// of rangeError() messages (scripts/espruino-lean.ts) and of link-loss causes nothing reads there.
// Raised from 20,605 to 21,193 by exactly the growth of the bundle (20,578 → 21,166 bytes) for
// SimEdge.start's `homePlmn`: a SIM that registers with stat 1 in a visited network (MVNO,
// national roaming) is roaming when the serving PLMN is not its home PLMN (IMSI + EF_AD), as on
// NodeDevice, from the same sources (core/modem.ts, core/lifecycle.ts) - no longer compiled out.
// Not raised for the 26 bytes (21,166 → 21,192) of the QMT driver under the dialect names bg95
// and bg96 too (entry.ts): before, `dialect: 'bg95'` - the name the guide's table gives - was a
// TypeError in this bundle.
// Raised from 21,193 to 21,326 by exactly the growth of the bundle (21,192 → 21,325) for a
// switch-off that survives a link lost under its bye (core/provisioner.ts BYE_RESEND_MS): the
// modem's link-loss URC can come just after the publish it broke, and the bye was then lost with
// its term - the core kept the provision until its lease ran out. Found by the device lab's test.
// Raised from 21,326 to 21,351 by exactly the growth (21,325 → 21,350) for MESSAGE_TOO_LARGE: a
// prov over what the modem publishes at once was a RangeError, wrapped as TRANSPORT and retried
// four times in vain (hello and chal on the air each time); now it is a stable, final code.
// Raised from 21,351 to 21,417 by exactly the growth (21,350 → 21,416) for a data budget that
// keeps room, when a roam's prov goes out, for the term of the provision it replaces (the core
// sends it once the new one is ready): before, that term was counted unasked and could take the
// day over the limit.
const SIZE_CEILING = 21_417;
/**
 * Ratchet of simedge-iotsafe.min.js, the same bundle with the IoT SAFE client (about 3.3 KB more:
 * the APDU exchange over AT+CSIM with GET RESPONSE, TLV and DER parsing, the key options and the
 * proof path of the provisioning client): 23,895 bytes when it was added, plus the 27 bytes of
 * headroom simedge.min.js has under its ceiling. Lowered to 23,858 (23,831 + 27) with the message
 * trims of simedge.min.js, raised by the same 588 bytes of `homePlmn` (23,831 → 24,419) to 24,446;
 * not raised for the 26 bytes of the bg95/bg96 dialect names (24,445); raised by the same 134
 * bytes of the bye resend (24,445 → 24,579) to 24,580, and by the same 25 of MESSAGE_TOO_LARGE
 * (24,604) to 24,605, and by the 83 of the roam's term reservation (24,687) to 24,688.
 */
const IOTSAFE_SIZE_CEILING = 24_688;
/** The thermometer example's bundle (SM driver; examples/test checks it equals a fresh build). */
const THERMO_OUT = fileURLToPath(new URL('../../examples/espruino-thermometer/simedge-sim7080.min.js', import.meta.url));
/**
 * Its ratchet: 20,198 bytes plus the same 27 bytes of headroom. It was 19,697 bytes before the
 * message trims above and before tree shaking dropped the IoT SAFE applet AID its entry linked in
 * through the core index (19,610), then `homePlmn` added the same 588 bytes as here. Lowered to
 * 17,856 (17,829 + 27) when the example was built without the data budget and `homePlmn`, which
 * its main.js does not use (BundleOptions; SimEdge.start refuses their options in it); raised by
 * the 127 bytes of the bye resend (17,829 → 17,956) to 17,983, and by the 30 of MESSAGE_TOO_LARGE
 * (17,986) to 17,987.
 */
const THERMO_SIZE_CEILING = 17_987;

let fresh: EspruinoBuild;
let freshIotSafe: EspruinoBuild;
beforeAll(async () => {
  [fresh, freshIotSafe] = await Promise.all([buildEspruino(), buildEspruinoIotSafe()]);
});

describe('Espruino bundle', () => {
  it('is committed and equals a fresh build (run `npm run build:espruino -w @simedge/device-sdk`)', () => {
    expect(readFileSync(ESPRUINO_OUT, 'utf8')).toBe(fresh.code);
  });

  it('uses only the Espruino language subset [reference/espruino.md]', () => {
    expect(fresh.violations).toEqual([]);
  });

  it('carries the portable errors instead of wire/codes.ts, and no Node globals', () => {
    expect(fresh.modules.map((m) => m.path)).toContain('src/core/errors.ts');
    expect(fresh.modules.map((m) => m.path)).not.toContain('src/wire/codes.ts');
    expect(fresh.code).not.toMatch(/\b(Buffer|process|globalThis)\b|require\(/);
  });

  it('is the lean build: no trace text, no error text, no EF_ICCID fallback (core/flags-lean.ts)', () => {
    // Trace details of provision.ts, AT line logs of engine.ts and session notes.
    expect(fresh.code).not.toMatch(/internal-error|bad-down|reconnect attempt|line too long|waiting for /);
    // Error text (the codes stay), and argument error messages.
    expect(fresh.code).toContain('"AT_TIMEOUT"');
    expect(fresh.code).not.toMatch(/no registration within|provisioning client closed|must be COSE bytes/);
    // Also the text passed through rangeError() (core/platform.ts), and link-loss causes the lean
    // session never reads (DETAIL: core/flags.ts).
    expect(fresh.code).not.toMatch(/payload is 1\.\.|QMTSTAT "/);
    // The lean build has no EF_ICCID fallback [TS102.221 §13.2] (lifecycle.ts readIccidFor); it
    // reads EF_AD [TS31.102 §4.2.18] only for SimEdge.start's homePlmn (the MNC length of the home PLMN).
    expect(fresh.code).not.toContain('12258');
    expect(fresh.code).toContain('"AT+CRSM=176,28589,0,0,4"');
    expect(fresh.code).toContain('.homePlmn');
  });

  it('keeps wire field names and the firmware API unshortened, shortens internal names', () => {
    for (const name of ['.rid', '.pid', '.imsi', '.nonce', 'tpl:', 'state:', 'stop:', 'version:', '.onReady', '.onError', '.template', '.serial']) {
      expect(fresh.code, name).toContain(name);
    }
    for (const name of ['.requests', '.byeWait', '.rejectWaiters', '.provisions', '.platform', '.setTimer', 'setTimer:', '.echoSeen', '.iccidCmd']) expect(fresh.code, name).not.toContain(name);
  });

  it(`does not grow past the current ceiling of ${SIZE_CEILING} bytes (target: ${SIZE_BUDGET})`, () => {
    expect(fresh.bytes, sizeReport(fresh)).toBeLessThanOrEqual(SIZE_CEILING);
  });
});

describe('Espruino bundle with IoT SAFE (simedge-iotsafe.min.js)', () => {
  it('is committed and equals a fresh build (run `npm run build:espruino -w @simedge/device-sdk`)', () => {
    expect(readFileSync(ESPRUINO_IOTSAFE_OUT, 'utf8')).toBe(freshIotSafe.code);
  });

  it('uses only the Espruino language subset [reference/espruino.md]', () => {
    expect(freshIotSafe.violations).toEqual([]);
  });

  it('is the lean build plus the IoT SAFE client; the default bundle carries none of it', () => {
    const paths = freshIotSafe.modules.map((m) => m.path);
    for (const p of ['src/core/iotsafe.ts', 'src/core/iotsafe/csim.ts', 'src/core/iotsafe/der.ts', 'src/core/iotsafe/tlv.ts', 'src/core/errors.ts']) expect(paths).toContain(p);
    expect(paths).not.toContain('src/wire/codes.ts');
    expect(freshIotSafe.code).toContain('"AT+CSIM="');
    expect(freshIotSafe.code).toContain('.iotSafe');
    expect(freshIotSafe.code).toContain('.sha256');
    // Still lean: no trace or error text, no argument messages.
    expect(freshIotSafe.code).not.toMatch(/internal-error|bad-down|line too long|must be COSE bytes|printable ASCII|open channel|tag 33/);
    expect(freshIotSafe.code).not.toMatch(/\b(Buffer|process|globalThis)\b|require\(/);
    // The key options cross the boundary unshortened.
    for (const name of ['.keyId', '.label', '.session']) expect(freshIotSafe.code, name).toContain(name);
    expect(fresh.modules.map((m) => m.path).filter((p) => p.includes('iotsafe'))).toEqual([]);
    expect(fresh.code).not.toContain('AT+CSIM');
  });

  it(`does not grow past the current ceiling of ${IOTSAFE_SIZE_CEILING} bytes (target: ${SIZE_BUDGET})`, () => {
    expect(freshIotSafe.bytes, sizeReport(freshIotSafe, 'simedge-iotsafe.min.js')).toBeLessThanOrEqual(IOTSAFE_SIZE_CEILING);
  });
});

describe('the thermometer example\'s bundle (examples/espruino-thermometer, SIM7080 SM driver)', () => {
  const code = readFileSync(THERMO_OUT, 'utf8');

  it('carries neither the IoT SAFE applet AID (its entry imports the core index) nor argument error text', () => {
    expect(code).toContain('AT+SMPUB=');
    expect(code).not.toContain('160,0,0,5,89,0,16'); // core/iotsafe.ts IOTSAFE_AID, unused here
    expect(code).not.toMatch(/payload is 1\.\.|SMSTATE 0/);
  });

  it(`does not grow past the current ceiling of ${THERMO_SIZE_CEILING} bytes (target: ${SIZE_BUDGET})`, () => {
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(THERMO_SIZE_CEILING);
  });
});
