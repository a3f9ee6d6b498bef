// What a vendor dialect is: extra commands (one handler file per command group), the identity
// it answers ATI/+CGMI/+CGMM/+CGMR with, and the context its handlers use to reach the modem
// (URCs, the modem's own MQTT links to the real broker).
import type { ModemCore } from '../core.js';
import type { Handler } from '../handlers/types.js';
import type { LinkHandlers, LinkOptions, MqttLink } from '../mqtt/link.js';

export type DialectName = 'generic' | 'bg96' | 'bg95' | 'sim7600' | 'sim7080' | 'sara-r4' | 'sara-r5';
export const DIALECTS: readonly DialectName[] = ['generic', 'bg96', 'bg95', 'sim7600', 'sim7080', 'sara-r4', 'sara-r5'];

export interface DialectContext {
  core: ModemCore;
  /** Queue a one-line URC. */
  urc(line: string): void;
  /** Queue one URC made of text and raw bytes (binary payloads), written contiguously as given. */
  urcRaw(parts: ReadonlyArray<string | Uint8Array>): void;
  /** Connect the modem's MQTT client to the broker the AT command named (or the redirect). */
  openLink(host: string, port: number, o: LinkOptions, h: LinkHandlers): Promise<MqttLink>;
  /** TCP reachability of host:port (through the same redirect). */
  probe(host: string, port: number): Promise<boolean>;
}

export interface Identity { manufacturer: string; model: string; revision: string }

export interface Dialect {
  name: DialectName;
  identity: Identity;
  handlers(ctx: DialectContext): Record<string, Handler>;
}
