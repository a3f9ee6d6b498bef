// The process part of a daemon (`simedge core run`, `simedge edge run`): run until SIGINT/SIGTERM
// (or an abort signal), then stop gracefully. The daemon's own start() says what it listens on.
import { isSimedgeError } from '../wire/codes.js';

export interface ServeIo {
  out(text: string): void;
  err(text: string): void;
  /** Stops the daemon (tests); without it SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

export interface Started {
  /** One line per listener or connection for stdout (scripts and tests read them), before `ready`. */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * Start the daemon, print its lines and `ready`, wait for the stop signal, stop it. Resolves with
 * the exit code: 0 after a graceful stop, 1 when start() fails with a SimedgeError (printed as
 * `simedge <name>: <message>`); anything else is a bug and rejects.
 */
export async function serveDaemon(name: string, start: () => Promise<Started>, io: ServeIo): Promise<number> {
  // Listen for the stop signal before anything starts: "ready" may be read, and answered with
  // SIGTERM, before the next line runs, and a signal during start-up must still stop cleanly.
  let release = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = (): void => {
      release();
      resolve();
    };
    release = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  let running: Started;
  try {
    running = await start();
  } catch (e) {
    release();
    if (!isSimedgeError(e)) throw e;
    io.err(`simedge ${name}: ${e.message}\n`);
    return 1;
  }
  for (const line of running.lines) io.out(`${line}\n`);
  io.out('ready\n');
  await stopped;
  await running.stop();
  io.err(`simedge ${name}: stopped\n`);
  return 0;
}
