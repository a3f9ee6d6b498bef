// SIMCom SIM7080/SIM7070 MQTT state: the AT+SMCONF settings, the one connection, and the URCs it
// produces: +SMSUB: "<topic>","<message>" (hex when SUBHEX=1) and +SMSTATE: 0 on a lost link
// [SIM7070_SIM7080_SIM7090 Series MQTT(S) Application Note V1.0x §2; AT Command Manual §13].
import { toHex, topicToAt } from '../../bytes.js';
import type { MqttLink } from '../../mqtt/link.js';
import type { DialectContext } from '../types.js';

export interface SmConf {
  host: string | undefined;
  port: number;
  clientId: string;
  keepTime: number;
  cleanSession: boolean;
  subHex: boolean;
  username: string | undefined;
  password: string | undefined;
}

export class SmState {
  readonly conf: SmConf = {
    host: undefined, port: 1883, clientId: '', keepTime: 60, cleanSession: true, subHex: false,
    username: undefined, password: undefined,
  };
  link: MqttLink | undefined;

  constructor(readonly ctx: DialectContext) {}

  received(topic: string, payload: Uint8Array): void {
    // Without SUBHEX the payload goes raw between the quotes - not binary-safe, as on the module.
    const body = this.conf.subHex ? toHex(payload) : payload;
    this.ctx.urcRaw([`\r\n+SMSUB: "${topicToAt(topic)}","`, body, '"\r\n']);
  }

  lost(): void {
    this.link = undefined;
    this.ctx.urc('+SMSTATE: 0');
  }
}
