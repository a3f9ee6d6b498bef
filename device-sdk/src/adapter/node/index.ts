// Node adapter of the device SDK (Raspberry Pi and dev machines).
export * from './mqtt.js';
