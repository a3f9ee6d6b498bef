// Entry of one core validator process in the scale-out test: exactly what `simedge core run
// --config <file>` does (loadCoreConfig + serveCore), bundled once by esbuild so each process
// starts in a fraction of the time tsx needs to compile the sources.
import { loadCoreConfig } from '../../core-validator/src/daemon-config.js';
import { serveCore } from '../../core-validator/src/daemon.js';

const path = process.argv[2];
if (!path) throw new Error('usage: core-main <config>');
process.exitCode = await serveCore(loadCoreConfig(path), {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
});
