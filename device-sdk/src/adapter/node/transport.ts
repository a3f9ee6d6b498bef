// The provisioning client's transport and codec on Node: MQTT.js (QoS 1, as DESIGN.md asks for
// idempotent handling of redeliveries) and the wire-format CBOR codec.
import type { MqttClient } from 'mqtt';
import type { ProvisionCodec, ProvisionTransport } from '../../core/provision.js';
import { SimedgeError } from '../../wire/codes.js';
import { decodeDown, encodeMsg } from '../../wire/messages.js';

export const wireCodec: ProvisionCodec = {
  encode: (m) => encodeMsg(m),
  decodeDown: (b) => decodeDown(b),
};

export interface MqttTransport extends ProvisionTransport {
  /** Stop routing messages (the client itself is ended by its owner). */
  detach(): void;
}

/** Route messages of subscribed topics to their handlers; payloads arrive as plain Uint8Array. */
export function mqttTransport(client: MqttClient): MqttTransport {
  const handlers: Record<string, (bytes: Uint8Array) => void> = {};
  const onMessage = (topic: string, payload: Buffer): void => {
    const h = handlers[topic];
    if (h) h(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
  };
  client.on('message', onMessage);
  return {
    publish: (topic, bytes) =>
      client.publishAsync(topic, Buffer.from(bytes), { qos: 1 }).then(
        () => undefined,
        (e: Error) => { throw new SimedgeError('TRANSPORT', `publish ${topic}: ${e.message}`); },
      ),
    subscribe: (topic, fn) => {
      handlers[topic] = fn;
      return client.subscribeAsync(topic, { qos: 1 }).then(
        (granted) => {
          // [MQTT-3.9.3-2] 0x80 in SUBACK means the broker refused the subscription.
          if (granted.some((g) => g.qos === 128)) throw new SimedgeError('TRANSPORT', `subscribe ${topic} refused`);
        },
        (e: Error) => { throw new SimedgeError('TRANSPORT', `subscribe ${topic}: ${e.message}`); },
      );
    },
    detach: () => {
      client.removeListener('message', onMessage);
    },
  };
}
