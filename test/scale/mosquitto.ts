// A real Mosquitto 2 for the scale-out test: plaintext MQTT 3.1.1 + 5 listener on 127.0.0.1 and
// an ephemeral port, anonymous (no ACL: this test is about load sharing, the ACL has its own test,
// core-validator/test/mosquitto-acl.test.ts), no persistence, queues big enough for a burst of a
// thousand devices. Its open-file limit is raised for the connections when the hard limit allows.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (Mosquitto cannot be asked for port 0 and tell us which). */
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

export async function startMosquitto(guardMs: number): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'simedge-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    // Per-client queue while a core is busy: the default (1000) could drop a burst [QoS 1 is kept].
    'max_queued_messages 100000',
    'max_inflight_messages 0',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information', // the "running" line
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    '',
  ].join('\n'));
  let log = '';
  // 1,000 device sockets need more than the common soft limit of 1024 open files.
  const proc: ChildProcess = spawn('sh', ['-c', `ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${MOSQUITTO} -c "$1"`, 'sh', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`mosquitto did not start within ${guardMs} ms; log:\n${log}`)), guardMs);
    const onData = (b: Buffer) => {
      if (log.length < 65536) log += b.toString('utf8');
      if (/mosquitto version 2\.\S+ running/.test(log)) {
        clearTimeout(guard);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`mosquitto (Debian package mosquitto, 2.x) exited with ${code} before it was running; log:\n${log}`));
    });
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
