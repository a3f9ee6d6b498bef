// SIMCom SIM7600 MQTT service state: started or not, two client slots (0-1) with the topic and
// payload buffers the TOPIC/PAYLOAD commands fill, and the receive URC sequence
// +CMQTTRXSTART / RXTOPIC / RXPAYLOAD (chunks of at most 1500 bytes) / RXEND and the lost-link URC
// +CMQTTCONNLOST [SIM7500_SIM7600 Series MQTT(S) AT Command Manual V1.0x §3.3, §3.4].

import type { MqttLink } from '../../mqtt/link.js';
import type { DialectContext } from '../types.js';

export interface CmqttClient {
  clientId: string | undefined;
  link: MqttLink | undefined;
  connecting: boolean;
  topic: Uint8Array | undefined;
  payload: Uint8Array | undefined;
  /** A topic given by CMQTTSUBTOPIC for a later bare AT+CMQTTSUB=<idx>. */
  subTopic: Uint8Array | undefined;
}

export const RX_CHUNK = 1500;
export const CMQTT_MAX_PAYLOAD = 10240;
/** +CMQTTCONNLOST <cause> 1: socket closed passively [MQTT(S) manual §3.4]. */
export const CONNLOST_PASSIVE = 1;

export class CmqttState {
  started = false;
  readonly clients: CmqttClient[] = [0, 1].map(() => ({
    clientId: undefined, link: undefined, connecting: false, topic: undefined, payload: undefined, subTopic: undefined,
  }));

  constructor(readonly ctx: DialectContext) {}

  client(idx: number): CmqttClient {
    return this.clients[idx] as CmqttClient;
  }

  received(idx: number, topic: string, payload: Uint8Array): void {
    const t = new Uint8Array(Buffer.from(topic, 'utf8'));
    const parts: Array<string | Uint8Array> = [
      `\r\n+CMQTTRXSTART: ${idx},${t.length},${payload.length}\r\n`,
      `\r\n+CMQTTRXTOPIC: ${idx},${t.length}\r\n`, t, '\r\n',
    ];
    for (let o = 0; o < payload.length; o += RX_CHUNK) {
      const chunk = payload.subarray(o, o + RX_CHUNK);
      parts.push(`\r\n+CMQTTRXPAYLOAD: ${idx},${chunk.length}\r\n`, chunk, '\r\n');
    }
    parts.push(`\r\n+CMQTTRXEND: ${idx}\r\n`);
    this.ctx.urcRaw(parts);
  }

  lost(idx: number): void {
    this.client(idx).link = undefined;
    this.ctx.urc(`+CMQTTCONNLOST: ${idx},${CONNLOST_PASSIVE}`);
  }
}

