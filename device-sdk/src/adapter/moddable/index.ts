// Moddable XS adapter of the device SDK: ECMA-419 serial as a ByteStream, the Platform from
// Moddable's modules, and the portable codec. Packaged by manifest.json beside this file.
export { moddableSerial, type Ecma419Serial, type Ecma419SerialClass, type Ecma419SerialOptions } from './serial.js';
export { moddablePlatform, type ModdableCaps, type ModdableTimer } from './platform.js';
export { deviceCodec } from '../../core/codec/device-codec.js';
