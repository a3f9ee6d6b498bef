// The DEPLOY_FAILED errors every runtime's start() raises: one wording for "the instance died
// before it was ready" and one way to turn whatever a start step threw into DEPLOY_FAILED, so the
// agent reports the same thing whichever runtime ran the instance.
import { SimedgeError } from '@simedge/device-sdk/wire';
import type { ExitInfo } from './types.js';

/** The instance exited before it answered its readiness probe; carries the stderr tail. */
export function exitError(info: ExitInfo): SimedgeError {
  const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
  return new SimedgeError('DEPLOY_FAILED', `fn exited before ready (${how})${info.stderr ? `: ${info.stderr.slice(-200)}` : ''}`);
}

/** `e` itself when it already is a SimedgeError (its code says more), else DEPLOY_FAILED with its message. */
export function asDeployFailed(e: unknown): SimedgeError {
  if (e instanceof SimedgeError) return e;
  return new SimedgeError('DEPLOY_FAILED', e instanceof Error ? e.message : String(e));
}
