// Modem-internal MQTT transports: pick the driver of a dialect and wrap it in the reconnecting
// session. The result is a ProvisionTransport, so the provisioning client runs over a modem's own
// MQTT stack on a microcontroller exactly as over MQTT.js on Node.
import type { AtEngine } from '../at/engine.js';
import { dialectInfo, type Dialect } from '../lifecycle.js';
import type { Platform } from '../platform.js';
import { CmqttDriver } from './cmqtt.js';
import { QmtDriver } from './qmt.js';
import { MqttSession, type SessionOptions } from './session.js';
import { SmDriver } from './sm.js';
import type { DriverOptions, ModemMqttTransport, MqttDriver } from './types.js';
import { UmqttDriver } from './umqtt.js';

export interface ModemMqttOptions extends DriverOptions, SessionOptions {
  /** Quectel client index 0..5 (default 0). */
  clientIdx?: number;
  /** u-blox SARA-R410M login result convention. */
  r410m?: boolean;
}

/** The driver of a dialect; TypeError for a dialect without internal MQTT (`generic`). */
export function mqttDriver(at: AtEngine, platform: Platform, dialect: Dialect, opts?: ModemMqttOptions): MqttDriver {
  const d = dialectInfo(dialect);
  switch (d.mqtt) {
    case 'QMT': return new QmtDriver(at, platform, opts);
    case 'CMQTT': return new CmqttDriver(at, platform, opts);
    case 'SM': return new SmDriver(at, platform, opts);
    case 'UMQTT': {
      const o: ModemMqttOptions = {};
      if (opts) for (const k of Object.keys(opts) as Array<keyof ModemMqttOptions>) (o as Record<string, unknown>)[k] = opts[k];
      if (o.r410m === undefined) o.r410m = d.r410m === true;
      return new UmqttDriver(at, platform, o);
    }
    default: throw new TypeError('modem dialect ' + dialect + ' has no internal MQTT client');
  }
}

/** A reconnecting modem-internal MQTT transport for the dialect's modem. */
export function modemMqtt(at: AtEngine, platform: Platform, dialect: Dialect, opts?: ModemMqttOptions): ModemMqttTransport {
  return new MqttSession(mqttDriver(at, platform, dialect, opts), platform, opts);
}

export { MqttSession, type SessionOptions } from './session.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { fromHex, upperHex, byteString, toByteString, concatBytes } from './bytes.js';
export { QmtDriver, QMT_MAX_PAYLOAD } from './qmt.js';
export { CmqttDriver, CMQTT_MAX_PAYLOAD } from './cmqtt.js';
export { SmDriver, SM_MAX_PAYLOAD } from './sm.js';
export { UmqttDriver, UMQTT_MAX_PAYLOAD, type UmqttOptions } from './umqtt.js';
export type { DriverEvents, DriverOptions, ModemMqttTransport, MqttDriver, SessionState } from './types.js';
