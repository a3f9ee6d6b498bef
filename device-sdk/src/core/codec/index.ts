// Portable CBOR codec of the device (Espruino and Moddable use it; Node may use it too).
export { decode, encode, utf8, type DeviceLimits } from './cbor.js';
export { checkDown, deviceCodec } from './device-codec.js';
