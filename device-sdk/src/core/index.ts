// Portable device core: no process, Buffer, require, serialport or MQTT.js in here.
export type { ByteStream } from './stream.js';
export { toHex, type Platform } from './platform.js';
export { AtFramer, MAX_BINARY, type FramerSink } from './at/framer.js';
export { AtEngine, type AtEngineOptions, type AtTrace, type SendOptions, type UrcHandler } from './at/engine.js';
export { isRegistered, parseCereg, parseCops, parseIccid, iccidFromEf, STAT_HOME, STAT_ROAMING, STAT_DENIED, type Registration } from './cereg.js';
export { attach, detach, readOperator, waitRegistered, watchRegistration, type AttachInfo, type AttachOptions } from './modem.js';
export {
  ProvisionClient, isRejected,
  type DeviceInfo, type ProvState, type ProvisionCodec, type ProvisionOptions, type ProvisionTransport, type RejectedError,
} from './provision.js';
export {
  Provisioner, isRetryable, RETRYABLE_REJECTS, type ProvisionerOptions, type RetryInfo, type SwitchOffResult,
} from './provisioner.js';
export {
  DataBudget, isDataBudget, metered, budgetDriver, publishCost, subscribeCost, connectCost, REPLY_BYTES, DAY_MS,
  type BudgetOptions, type BudgetState, type ClientIo,
} from './budget.js';
export {
  DIALECTS, dialectInfo, readIccidFor, readMncLength, mncLengthFromEfAd, homePlmn, isRoaming, readHomePlmn, crsmData,
  type Dialect, type DialectInfo,
} from './lifecycle.js';
export {
  modemMqtt, mqttDriver, MqttSession, QmtDriver, CmqttDriver, SmDriver, UmqttDriver, backoffDelay,
  fromHex, upperHex, byteString, toByteString, concatBytes,
  type ModemMqttOptions, type ModemMqttTransport, type MqttDriver, type DriverEvents, type DriverOptions, type SessionState,
  type SessionOptions, type BackoffOptions, type UmqttOptions,
} from './transport/index.js';
export { iotSafeSign, provisionProof, proofMessage, iotSafeProver, IOTSAFE_AID, type IotSafeOptions } from './iotsafe.js';
export { parseCsim, claFor, type Rapdu } from './iotsafe/csim.js';
export { derToRaw, signatureToRaw } from './iotsafe/der.js';
