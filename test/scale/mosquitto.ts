// A real Mosquitto 2 for the scale-out test: plaintext MQTT 3.1.1 + 5 listener on 127.0.0.1 and
// an ephemeral port, anonymous (no ACL: this test is about load sharing, the ACL has its own test,
// core-validator/test/mosquitto-acl.test.ts), no persistence, queues big enough for a burst of a
// thousand devices. Its open-file limit is raised for the connections when the hard limit allows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onFreePort, runMosquitto } from '../../core-validator/test/mosquitto-run.js';

export { freePort };

export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
}

export async function startMosquitto(guardMs: number): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'simedge-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  const { m, port } = await onFreePort(async (port) => {
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
    // 1,000 device sockets need more than the common soft limit of 1024 open files.
    return { m: await runMosquitto(conf, guardMs, { fileLimit: 8192 }), port };
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
