// Build-time switches of the portable core (STYLE #3: platform chosen at build time). This is the
// full build (Node, Moddable, tests). The Espruino build substitutes core/flags-lean.ts, with the
// features a bundle is built with (IOTSAFE, BUDGET, HOMEPLMN: scripts/build-espruino.ts
// BundleOptions, `simedge espruino build`), and esbuild inlines the constants, so `if (TRACE) …`
// call sites and the strings they build vanish from a bundle that must fit in a microcontroller's
// RAM.

/** Emit trace events and AT line logs (their detail strings cost bytes on a device). */
export const TRACE: boolean = true;

/**
 * IoT SAFE proofs: the `prove` option of ProvisionClient and the Provisioner, and the firmware
 * API's `iotSafe` option (adapter/espruino/simedge.ts), which signs every chal with the SIM
 * (core/iotsafe.ts). Always on here; an Espruino bundle carries it only when built with it
 * (dist/espruino/simedge-iotsafe.min.js, entry-iotsafe.ts): the client costs about 3.3 KB of RAM there.
 */
export const IOTSAFE: boolean = true;

/**
 * Features and options the Espruino firmware API (adapter/espruino/simedge.ts) does not expose,
 * such as onUpdate and onLinkLost, attach()'s registration timeout and onSim,
 * driver, session and codec options, and argument checks of calls only the SDK makes; and what
 * the microcontroller build simplifies: the full CBOR profile, raw QMT receive, the EF_ICCID
 * fallback. False in the lean build so their code is dropped (docs/firmware-guide.md §2).
 */
export const FULL: boolean = true;

/**
 * Free-text detail of errors and diagnostics ("no +QMTOPEN: within 30000 ms"). The stable code
 * always stays (STYLE #9: a device reports the code; an operator looks the message up in
 * wire/codes.ts); false in the lean build, where every byte of text costs RAM.
 */
export const DETAIL: boolean = true;

/**
 * The per-device data budget (core/budget.ts) in the Espruino firmware API: SimEdge.start's
 * `budgetBytesPerDay` and `budgetState`, and `budget()`. Always on here and in the SDK's Espruino
 * bundles; a firmware that sets no budget can build without it (about 1.9 KB less), and then
 * start() refuses those options with a TypeError rather than run unmetered.
 */
export const BUDGET: boolean = true;

/**
 * Roaming by home PLMN (patent claim 2): attach()'s `homePlmn` (the EF_AD read and isRoaming) and
 * SimEdge.start's `homePlmn`. Always on here and in the SDK's Espruino bundles; a firmware that
 * does not use it can build without it (about 0.6 KB less), and then start() refuses the option
 * with a TypeError. Roaming by +CEREG stat 5 and re-provisioning on a new cell stay.
 */
export const HOMEPLMN: boolean = true;

/**
 * Raw binary blocks in the AT engine (AtFramer expectBytes): the SIM7600's CMQTT receive, and
 * the quoted UMQTT payload that holds a CR or LF (transport/quoted.ts). Always on here; an
 * Espruino bundle has it only when it carries one of those drivers (the SDK's QMT bundle reads
 * hex, the SIM7080 SM driver too).
 */
export const RAWREAD: boolean = true;
