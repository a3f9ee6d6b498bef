// Commands whose outcome arrives later as a URC (`AT+QMTOPEN` → OK … `+QMTOPEN: 0,0`): send the
// command and wait for both its OK and the matching URC. The URC handler is registered before the
// command goes out, so a URC that overtakes the OK is not lost.
import { SimedgeError, type Code } from '../../wire/codes.js';
import type { AtEngine, SendOptions } from '../at/engine.js';
import { fieldsOf } from '../cereg.js';
import { noop, rangeError, same, type Platform } from '../platform.js';
import { DETAIL, FULL } from '../flags.js';

/**
 * Why a payload of n bytes cannot be published, if it cannot: empty (a bug of the caller: a
 * RangeError) or over what the modem's MQTT client takes in one publish (`max`): the stable,
 * final MESSAGE_TOO_LARGE - the same message would fail again, so the provisioning does not
 * retry it (a prov carries the template: make the template smaller). Undefined when it fits.
 */
export function payloadError(n: number, max: number, what: string): Error | undefined {
  if (FULL && n === 0) return rangeError(what + ': empty payload'); // the SDK never publishes nothing (FULL: core/flags.ts)
  return n > max ? new SimedgeError('MESSAGE_TOO_LARGE', DETAIL ? what + ': ' + n + ' bytes, at most ' + max : undefined) : undefined;
}

/** The AT failure behind a modem-MQTT error, for its detail. */
function why(e: unknown): string {
  return e instanceof SimedgeError ? e.code + (e.detail ? ' ' + e.detail : '') : String(e);
}

/**
 * Send cmd and resolve with the fields of the first `prefix` URC that `mine` accepts. A failed
 * command, or no URC within timeoutMs after sending, rejects with `code`.
 */
export function sendForUrc(
  at: AtEngine, platform: Platform, cmd: string, prefix: string, mine: (f: string[]) => boolean,
  timeoutMs: number, code: Code, opts?: SendOptions,
): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    let done = false;
    let okSeen = false;
    let fields: string[] | undefined;
    let timer: unknown;
    const off = at.onUrc(prefix, (line) => {
      const f = fieldsOf(line, prefix);
      if (!f || fields || !mine(f)) return;
      fields = f;
      if (okSeen) finish(undefined);
    });
    const finish = (err: Error | undefined) => {
      if (done) return;
      done = true;
      off();
      if (timer !== undefined) platform.clearTimer(timer);
      if (err) reject(err);
      else resolve(fields as string[]);
    };
    timer = platform.setTimer(() => finish(new SimedgeError(code, DETAIL ? cmd + ': no ' + prefix + ' within ' + timeoutMs + ' ms' : undefined)), timeoutMs);
    at.send(cmd, opts).then(() => {
      okSeen = true;
      if (fields) finish(undefined);
    }, (e: unknown) => finish(new SimedgeError(code, DETAIL ? cmd + ': ' + why(e) : undefined)));
  });
}

/** Send cmd; an AT failure becomes `code` (with the AT detail). */
export function sendAs(at: AtEngine, cmd: string, code: Code, opts?: SendOptions): Promise<string[]> {
  return at.send(cmd, opts).then(same, (e: unknown) => {
    throw new SimedgeError(code, DETAIL ? cmd + ': ' + why(e) : undefined);
  });
}

/** Send cmd and ignore any failure (teardown commands). */
export function sendQuiet(at: AtEngine, cmd: string, opts?: SendOptions): Promise<void> {
  return at.send(cmd, opts).then(noop, noop);
}
