// The shared runtime contract against the process runtime (child processes, real HTTP).
import { ProcessRuntime } from '../src/runtime/process.js';
import { runtimeContract } from './runtime-contract.js';

runtimeContract('process', () => ({ make: (edge) => new ProcessRuntime({ scope: edge }), timeoutMs: 5000 }));
