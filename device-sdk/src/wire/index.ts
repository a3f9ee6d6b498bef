// The shared wire format: template, CBOR, COSE, messages, topics, codes, trace events.
export * from './codes.js';
export * from './cbor.js';
export * from './ed25519.js';
export * from './cose.js';
export * from './template.js';
export * from './messages.js';
export * from './topics.js';
export * from './trace.js';
