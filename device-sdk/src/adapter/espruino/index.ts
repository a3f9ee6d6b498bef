// Espruino adapter of the device SDK: Serial1 as a ByteStream, the Platform, and the firmware API
// behind dist/espruino/simedge.min.js (built by scripts/build-espruino.ts).
export { espruinoSerial, type EspruinoSerial } from './serial.js';
export { espruinoEnv, espruinoPlatform, type EspruinoEnv, type EspruinoPlatform } from './platform.js';
export { simEdge, type DriverFactory, type SimEdge, type SimEdgeOptions } from './simedge.js';
