// Portable SimedgeError for runtimes where `class X extends Error` does not work (Espruino, see
// reference/espruino.md). The Espruino build substitutes this module for wire/codes.ts (STYLE #3:
// platform chosen at build time), so the core keeps `new SimedgeError(code, detail)`,
// `e instanceof SimedgeError`, `e.code` and `e.detail` unchanged while the bundle carries neither
// the class nor the table of messages (about 4 KB): a device reports the stable code, an operator
// looks the message up in wire/codes.ts.
import type { Code } from '../wire/codes.js';

export type { Code };

/** What a portable error carries: the same fields as wire/codes.ts SimedgeError. */
export interface PortableError extends Error {
  readonly code: Code;
  readonly detail: string | undefined;
}

interface PortableErrorCtor {
  new (code: Code, detail?: string): PortableError;
  prototype: PortableError;
}

// Error.prototype is in its chain, so `instanceof Error` holds everywhere. It builds and returns
// its object instead of filling `this`, so `new SimedgeError(...)` and a plain call give the same
// error: the Espruino build drops the `new` of the 40-odd call sites (scripts/espruino-lean.ts
// callFactories), 4 bytes each.
function portableError(code: Code, detail?: string): PortableError {
  const e = Object.create(portableError.prototype) as { code: Code; detail: string | undefined; message: string };
  e.code = code;
  e.detail = detail;
  e.message = detail ? code + ' (' + detail + ')' : code;
  return e as PortableError;
}
portableError.prototype = Object.create(Error.prototype) as PortableError;
(portableError.prototype as { name: string }).name = 'SimedgeError';

/** Drop-in for wire/codes.ts SimedgeError in the Espruino bundle. */
export const SimedgeError = portableError as unknown as PortableErrorCtor;

export function isSimedgeError(e: unknown): e is PortableError {
  return e instanceof SimedgeError;
}
