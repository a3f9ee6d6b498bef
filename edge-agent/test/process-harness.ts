// Shared set-up of the process-runtime test files: a ProcessRuntime factory whose runtimes (and so
// their fn children and standby hosts) are all closed after each test. Call processRuntimes() once
// at the top level of a test file: it registers the afterEach hook itself.
import { afterEach } from 'vitest';
import { ProcessRuntime } from '../src/index.js';

export type ProcessRuntimeOptions = ConstructorParameters<typeof ProcessRuntime>[0];

/** A factory of ProcessRuntimes that end after the current test. */
export function processRuntimes(): (opts?: ProcessRuntimeOptions) => ProcessRuntime {
  const runtimes: ProcessRuntime[] = [];
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.close();
  });
  return (opts = {}) => {
    const r = new ProcessRuntime(opts);
    runtimes.push(r);
    return r;
  };
}
