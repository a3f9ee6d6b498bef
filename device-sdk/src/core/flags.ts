// Build-time switches of the portable core (STYLE #3: platform chosen at build time). This is the
// full build (Node, Moddable, tests). The Espruino build substitutes core/flags-lean.ts (or
// core/flags-lean-iotsafe.ts for the bundle with the IoT SAFE client), and esbuild inlines the
// constant, so `if (TRACE) …` call sites and the strings they build vanish from a bundle that
// must fit in a microcontroller's RAM.

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
