// Node adapter of the device SDK (Raspberry Pi and dev machines).
export * from './mqtt.js';
export { nodePlatform } from './platform.js';
export { openSerial } from './serial.js';
export { mqttTransport, wireCodec, type MqttTransport } from './transport.js';
export { NodeDevice, type NodeDeviceEvents, type NodeDeviceOptions } from './device.js';
