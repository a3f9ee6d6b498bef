// Shared by the transport-security tests: a real PKI in a temporary directory (an operator CA, a
// second unrelated CA, broker/device/edge/core certificates), MQTT clients that collect what they
// receive, and waiting on events with bounded failure guards (never sleeps).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from '@simedge/device-sdk/node';
import { createCa, initPki, issueCert, issueToDir, type IssueOptions } from '../src/pki/index.js';

export const IMSI_A = '244051234567890';
export const IMSI_B = '244051234567891';
export const EDGE = 'edge-a';
export const CORE = 'core-1';
export const GUARD_MS = 5000;

export interface Creds {
  ca: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  caPem: string;
  broker: { cert: string; key: string };
  deviceA: Creds;
  deviceB: Creds;
  edge: Creds;
  core: Creds;
  /** A device certificate for IMSI_A from an unrelated CA; trusts the operator CA as server anchor. */
  foreign: Creds;
  cleanup(): void;
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'simedge-pki-'));
  initPki(dir, { cn: 'test operator CA' });
  const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const issue = (o: IssueOptions): Creds => {
    const f = issueToDir(dir, o);
    return { ca: caPem, cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
  };
  const b = issue({ role: 'broker', id: 'b1', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  const f = issueCert(createCa({ cn: 'someone else' }), { role: 'device', id: IMSI_A });
  return {
    dir,
    caPem,
    broker: { cert: b.cert, key: b.key },
    deviceA: issue({ role: 'device', id: IMSI_A }),
    deviceB: issue({ role: 'device', id: IMSI_B }),
    edge: issue({ role: 'edge', id: EDGE }),
    core: issue({ role: 'core', id: CORE }),
    foreign: { ca: caPem, cert: f.certPem, key: f.keyPem },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Everything a client receives, in order, with waiting for a topic+payload. */
export class Inbox {
  readonly all: Array<{ topic: string; text: string }> = [];
  private waiters: Array<() => void> = [];
  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.all.push({ topic, text: payload.toString('utf8') });
      for (const w of this.waiters.splice(0)) w();
    });
  }
  has(topic: string, text: string): boolean {
    return this.all.some((m) => m.topic === topic && m.text === text);
  }
  async waitFor(topic: string, text: string): Promise<void> {
    const deadline = Date.now() + GUARD_MS;
    while (!this.has(topic, text)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${text} on ${topic}; got ${JSON.stringify(this.all)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left); // failure guard only
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Resolve when `client` has closed its connection (bounded by the guard). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('connection was not closed')), GUARD_MS);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Subscribe and return the granted QoS (128 = refused [MQTT-3.9.3]). */
export function subscribeGranted(client: MqttClient, filter: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.subscribe(filter, { qos: 1 }, (err, granted) => {
      // MQTT.js reports a 0x80 grant as an error carrying the SUBACK packet.
      const suback = (err as (Error & { packet?: { granted?: number[] } }) | null)?.packet;
      if (suback?.granted) resolve(suback.granted[0] ?? -1);
      else if (err) reject(err);
      else resolve(granted?.[0]?.qos ?? -1);
    });
  });
}
