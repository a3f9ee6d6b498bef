// Quectel BG95/BG96 MQTT client slots (idx 0-5) and what they turn broker events into:
// `+QMTRECV` for a received message, `+QMTSTAT` for a lost link
// [Quectel BG95&BG96 MQTT Application Note V1.x §3.2-3.3].
import { topicToAt } from '../../bytes.js';
import type { MqttLink } from '../../mqtt/link.js';
import type { DialectContext } from '../types.js';

export interface QmtClient {
  /** "version": 3 = MQTT 3.1, 4 = 3.1.1 (the embedded broker speaks 3.1.1). */
  version: 3 | 4;
  keepalive: number;
  clean: boolean;
  timeoutS: number;
  /** "recv/mode" <msg_len_enable>: the payload length in +QMTRECV (on here: binary-safe). */
  recvLen: boolean;
  /** "dataformat" <recv_mode> 1: +QMTRECV payloads as hex (the length still counts bytes). */
  recvHex: boolean;
  /** Set by QMTOPEN (the network side is open), cleared by QMTCLOSE/QMTDISC/link loss. */
  host: string | undefined;
  port: number;
  opening: boolean;
  connecting: boolean;
  link: MqttLink | undefined;
}

export const QMT_CLIENTS = 6;

/** +QMTSTAT <err_code> 1: connection closed or reset by peer [QMT AN §3.3.2]. */
export const QMTSTAT_CLOSED_BY_PEER = 1;

export class QmtState {
  readonly clients: QmtClient[];

  constructor(readonly ctx: DialectContext) {
    this.clients = Array.from({ length: QMT_CLIENTS }, () => ({
      version: 4, keepalive: 120, clean: true, timeoutS: 5, recvLen: true, recvHex: false,
      host: undefined, port: 0, opening: false, connecting: false, link: undefined,
    }));
  }

  client(idx: number): QmtClient {
    return this.clients[idx] as QmtClient;
  }

  /** +QMTRECV: <idx>,<msgid>,"<topic>"[,<len>],"<payload>" - raw bytes between the quotes, or
   *  upper-case hex with "dataformat" <recv_mode> 1. */
  received(idx: number, topic: string, payload: Uint8Array, msgId: number): void {
    const cl = this.client(idx);
    const len = cl.recvLen ? `${payload.length},` : '';
    const body = cl.recvHex ? Buffer.from(payload).toString('hex').toUpperCase() : payload;
    this.ctx.urcRaw([`\r\n+QMTRECV: ${idx},${msgId},"${topicToAt(topic)}",${len}"`, body, '"\r\n']);
  }

  lost(idx: number): void {
    const cl = this.client(idx);
    cl.link = undefined;
    cl.host = undefined;
    this.ctx.urc(`+QMTSTAT: ${idx},${QMTSTAT_CLOSED_BY_PEER}`);
  }
}
