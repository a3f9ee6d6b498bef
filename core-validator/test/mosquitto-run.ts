// Test helper: a real Mosquitto 2 (/usr/sbin/mosquitto, Debian package `mosquitto`) started from a
// config file and resolved once it logs that it is running; stop() sends SIGTERM and waits. Also
// freePort(), for servers that cannot be asked for port 0 and tell which one they took (Mosquitto,
// PostgreSQL). Used by the ACL test here and by the cross-package scale-out test (test/scale).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

export const MOSQUITTO = '/usr/sbin/mosquitto';

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Start a server on a port from freePort(), again on a new port (up to `attempts` in all) when the
 * start fails because another process took that port in between (the error mentions it).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (e) {
      if (i >= attempts || !/address already in use|EADDRINUSE/i.test(e instanceof Error ? e.message : String(e))) throw e;
    }
  }
}

export interface RunningMosquitto {
  proc: ChildProcess;
  /** Everything it logged so far (capped at 64 KiB). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Start Mosquitto with `conf` (optionally with a raised open-file limit for many connections) and
 * resolve once it is running; reject with its configuration and log if it exits or is not running
 * within `guardMs`.
 */
export async function runMosquitto(conf: string, guardMs: number, opts: { verbose?: boolean; fileLimit?: number } = {}): Promise<RunningMosquitto> {
  const args = opts.verbose ? ['-c', conf, '-v'] : ['-c', conf];
  const proc: ChildProcess = opts.fileLimit
    ? spawn('sh', ['-c', `ulimit -n ${opts.fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${MOSQUITTO} "$@"`, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(MOSQUITTO, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`mosquitto did not start within ${guardMs} ms; log:\n${log}`)), guardMs);
    const onData = (b: Buffer) => {
      if (log.length < 65536) log += b.toString('utf8');
      if (/mosquitto version \S+ running/.test(log)) {
        clearTimeout(guard);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('error', (e) => {
      clearTimeout(guard);
      reject(new Error(`cannot run ${MOSQUITTO} (Debian package mosquitto, 2.x): ${e.message}`));
    });
    proc.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`mosquitto exited with ${code} before it was running; conf:\n${readFileSync(conf, 'utf8')}\nlog:\n${log}`));
    });
  });
  return {
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** A plaintext Mosquitto 2 for tests on an ephemeral 127.0.0.1 port, anonymous, no persistence;
 *  its config goes to `dir`. */
export async function startOpenMosquitto(dir: string): Promise<{ broker: RunningMosquitto; url: string }> {
  const conf = join(dir, 'mosquitto.conf');
  return onFreePort(async (port) => {
    writeFileSync(conf, [
      `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
      'log_dest stderr', 'log_type information', ...(process.getuid?.() === 0 ? ['user root'] : []), '',
    ].join('\n'));
    return { broker: await runMosquitto(conf, 5000), url: `mqtt://127.0.0.1:${port}` };
  });
}
