// u-blox SARA-R4/R5 MQTT state: the profile set by AT+UMQTT, the connection, the unread-message
// store read with AT+UMQTTC=6 (announced by +UUMQTTC: 6,<n>), the last error for AT+UMQTTER,
// and the differences between the R4 and R5 firmware [SARA-R4 AT Commands Manual UBX-17003787
// §23; SARA-R5 AT Commands Manual UBX-19047455 §24].
import type { MqttLink } from '../../mqtt/link.js';
import type { DialectContext } from '../types.js';

export interface UmqttMessage { topic: string; payload: Uint8Array; qos: number }

export class UmqttState {
  clientId = '';
  host: string | undefined;
  port = 1883;
  keepalive = 60;
  clean = true;
  username: string | undefined;
  password: string | undefined;
  link: MqttLink | undefined;
  connecting = false;
  readonly unread: UmqttMessage[] = [];
  /** AT+UMQTTER: <error class>,<physical error> of the last failure; 0,0 when none. */
  lastError: [number, number] = [0, 0];

  /** `r4`: SARA-R410M quirks - login success reported as +UUMQTTC: 1,0, no binary AT+UMQTTC=9. */
  constructor(readonly ctx: DialectContext, readonly r4: boolean) {}

  received(topic: string, payload: Uint8Array, qos: number): void {
    this.unread.push({ topic, payload, qos });
    this.ctx.urc(`+UUMQTTC: 6,${this.unread.length}`);
  }

  lost(): void {
    this.link = undefined;
    // The cause value is not documented consistently across firmware: any +UUMQTTC: 0 is a drop.
    this.ctx.urc('+UUMQTTC: 0,0');
  }
}
