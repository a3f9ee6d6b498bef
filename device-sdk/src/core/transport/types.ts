// The one transport interface shared by the provisioning client and the modem-internal MQTT
// drivers, and the smaller per-dialect driver contract the reconnecting session is built on.
import type { ProvisionTransport } from '../provision.js';

/** A provisioning transport that owns its connection (modem-internal MQTT). */
export interface ModemMqttTransport extends ProvisionTransport {
  /** Open the MQTT session (MQTT 3.1.1, clean session) as clientId. */
  connect(host: string, port: number, clientId: string): Promise<void>;
  /** Disconnect and release the modem's MQTT client; pending calls reject with LINK_LOST. */
  close(): Promise<void>;
  /** Called with the modem's cause each time it reports the link lost (before reconnecting). */
  onLinkLost(fn: (cause: string) => void): () => void;
  /**
   * Called once when reconnecting gave up (code LINK_LOST); the transport is then closed. The lean
   * (Espruino) session has no reconnect loop: it calls this on every link loss and stays usable
   * (core/transport/session.ts).
   */
  onFail(fn: (e: Error) => void): () => void;
  readonly state: SessionState;
}

export type SessionState = 'idle' | 'connecting' | 'up' | 'reconnecting' | 'failed' | 'closed';

/** What a dialect driver reports to its session. */
export interface DriverEvents {
  message(topic: string, payload: Uint8Array): void;
  /** `cause`: the modem's words for traces and onLinkLost; empty in the lean build (DETAIL). */
  lost(cause: string): void;
  /** Diagnostics (a dropped or malformed receive URC); never an error path. */
  note(text: string): void;
}

/**
 * One modem family's MQTT commands. Calls are never concurrent: the session serialises them (a
 * publish is several AT commands on some modems and must not interleave with another).
 */
export interface MqttDriver {
  /** Register the receive and link-loss URC handlers. */
  start(ev: DriverEvents): void;
  /** Full connect (also used to reconnect after a link loss). Rejects with MODEM_MQTT_CONNECT. */
  open(host: string, port: number, clientId: string): Promise<void>;
  /** QoS 1 publish of exactly these bytes. Rejects with MODEM_MQTT_PUBLISH. */
  publish(topic: string, payload: Uint8Array): Promise<void>;
  /** QoS 1 subscribe. Rejects with MODEM_MQTT_SUBSCRIBE. */
  subscribe(topic: string): Promise<void>;
  /** Best-effort teardown; never rejects. */
  disconnect(): Promise<void>;
  /** Remove the URC handlers. */
  stop(): void;
}

/** Options every driver takes. */
export interface DriverOptions {
  /** MQTT keep-alive in seconds (default 60). */
  keepAliveS?: number;
  /** Deadline for a connect result URC (default 30000 ms; real modems open TCP + MQTT). */
  connectTimeoutMs?: number;
  /** Deadline for a publish/subscribe result URC (default 15000 ms). */
  opTimeoutMs?: number;
}
