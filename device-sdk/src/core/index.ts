// Portable device core: no process, Buffer, require, serialport or MQTT.js in here.
export type { ByteStream } from './stream.js';
export { toHex, type Platform } from './platform.js';
export { AtFramer, MAX_BINARY, type FramerSink } from './at/framer.js';
export { AtEngine, type AtEngineOptions, type AtTrace, type SendOptions } from './at/engine.js';
export { isRegistered, parseCereg, parseCops, parseIccid, iccidFromEf, STAT_HOME, STAT_ROAMING, STAT_DENIED, type Registration } from './cereg.js';
export { attach, detach, readOperator, waitRegistered, watchRegistration, type AttachInfo, type AttachOptions } from './modem.js';
export {
  ProvisionClient, isRejected,
  type DeviceInfo, type ProvState, type ProvisionCodec, type ProvisionOptions, type ProvisionTransport, type RejectedError,
} from './provision.js';
