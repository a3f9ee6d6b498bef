// Build-time switches of the portable core (STYLE #3: platform chosen at build time). This is the
// full build (Node, Moddable, tests). The Espruino build substitutes core/flags-lean.ts, and
// esbuild inlines the constant, so `if (TRACE) …` call sites and the strings they build vanish
// from a bundle that must fit in a microcontroller's RAM.

/** Emit trace events and AT line logs (their detail strings cost bytes on a device). */
export const TRACE: boolean = true;

/**
 * Features the Espruino firmware API (adapter/espruino/simedge.ts) does not expose, such as the
 * home-PLMN roaming check of attach(); false in the lean build so their code is dropped.
 */
export const FULL: boolean = true;
