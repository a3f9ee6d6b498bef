// The modem's own MQTT client (the "modem-internal MQTT" stack of BG9x, SIM7600, SIM7080 and
// SARA-R4/R5): a real MQTT.js connection to a real broker, opened through connectMqtt so
// TCP_NODELAY is set. A modem reports a lost link instead of reconnecting behind the host's
// back, so automatic reconnection is off and an unexpected close calls `onLost` exactly once.
import { connect as netConnect } from 'node:net';
import { connectMqtt, endMqtt, type MqttClient } from '@simedge/device-sdk/node';

export interface LinkOptions {
  clientId: string;
  keepalive?: number;
  clean?: boolean;
  username?: string;
  password?: string;
  connectTimeoutMs?: number;
}

export interface LinkHandlers {
  message: (topic: string, payload: Uint8Array, qos: 0 | 1 | 2, msgId: number) => void;
  lost: () => void;
}

/** Where the modem's MQTT traffic really goes: `redirect` (the simulated network's DNS) or host:port. */
export function brokerUrl(host: string, port: number, redirect: string | undefined): string {
  if (redirect !== undefined) return redirect;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `mqtt://${h}:${port}`;
}

/** A TCP probe (QMTOPEN opens the socket before CONNECT): resolves true when host:port accepts. */
export function probeTcp(url: string, timeoutMs = 5000): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = netConnect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 1883) });
    const done = (ok: boolean): void => { clearTimeout(t); s.destroy(); resolve(ok); };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class MqttLink {
  private ending = false;
  private lostReported = false;

  private constructor(private readonly client: MqttClient, private readonly handlers: LinkHandlers) {
    client.on('message', (topic, payload, packet) => {
      const u8 = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength).slice();
      handlers.message(topic, u8, packet.qos, packet.messageId ?? 0);
    });
    client.on('close', () => this.reportLost());
  }

  /** CONNECT and wait for CONNACK; rejects when the broker cannot be reached in time. */
  static async open(url: string, o: LinkOptions, handlers: LinkHandlers): Promise<MqttLink> {
    const client = await connectMqtt(url, {
      clientId: o.clientId,
      keepalive: o.keepalive ?? 60,
      clean: o.clean ?? true,
      reconnectPeriod: 0,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    });
    return new MqttLink(client, handlers);
  }

  get connected(): boolean { return this.client.connected && !this.ending; }

  subscribe(topic: string, qos: 0 | 1 | 2): Promise<number> {
    return new Promise((resolve, reject) => {
      this.client.subscribe(topic, { qos }, (err, granted) => {
        if (err) reject(err);
        else resolve(granted?.[0]?.qos ?? qos);
      });
    });
  }

  unsubscribe(topic: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.unsubscribe(topic, (err) => (err ? reject(err) : resolve()));
    });
  }

  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.publish(topic, Buffer.from(payload), { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Orderly DISCONNECT asked for by the host: no link-lost report. */
  async close(): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    await endMqtt(this.client);
  }

  /** Link loss (radio gone, `modem.dropLink()`): the socket dies without DISCONNECT; `lost` fires. */
  drop(): void {
    if (this.ending) return;
    this.client.end(true);
    this.reportLost();
    this.ending = true;
  }

  private reportLost(): void {
    if (this.ending || this.lostReported) return;
    this.lostReported = true;
    this.handlers.lost();
  }
}
