// Portable device core: no process, Buffer, require, serialport or MQTT.js in here.
export type { ByteStream } from './stream.js';
