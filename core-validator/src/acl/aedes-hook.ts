// The topic ACL on an aedes broker: authorizePublish and authorizeSubscribe hooks from the client
// identity (client-identity.ts) and the rules table (rules.ts). Both chain the hooks already
// installed, so the network-attestation hook (attest/broker-hook.ts) keeps working in either
// installation order: a publish the ACL refuses never reaches it, so it is never recorded.
//
// What a refusal looks like [MQTT 3.1.1]: a refused PUBLISH closes the connection (aedes'
// behaviour; 3.1.1 has no negative PUBACK [MQTT-3.3.5-2]); a refused SUBSCRIBE is granted 0x80
// (Failure) in the SUBACK [MQTT-3.9.3] and the connection stays up.
import type { Aedes } from 'aedes';
import { SimedgeError } from '@simedge/device-sdk/wire';
import type { Identity } from '../pki/identity.js';
import { trackIdentities, type PlaintextIdentity } from './client-identity.js';
import { mayPublish, maySubscribe } from './rules.js';

export interface Denial {
  action: 'publish' | 'subscribe';
  topic: string;
  identity: Identity | undefined;
  clientId: string | undefined;
}

export interface TopicAclOptions {
  /** How to identify clients without a certificate (plaintext listener); default 'none' (they may do nothing). */
  plaintext?: PlaintextIdentity;
  /** Told about every refusal (logs, metrics). */
  onDeny?: (d: Denial) => void;
}

/** Install the topic ACL on `aedes`. */
export function installTopicAcl(aedes: Aedes, opts: TopicAclOptions = {}): void {
  const ids = trackIdentities(aedes, opts.plaintext ?? 'none');
  const onDeny = opts.onDeny ?? (() => {});

  const previousPublish = aedes.authorizePublish.bind(aedes);
  aedes.authorizePublish = (client, packet, callback) => {
    const who = ids.of(client);
    if (!mayPublish(who, packet.topic)) {
      onDeny({ action: 'publish', topic: packet.topic, identity: who, clientId: client?.id });
      callback(new SimedgeError('TOPIC_DENIED', `publish ${packet.topic}`));
      return;
    }
    previousPublish(client, packet, callback);
  };

  const previousSubscribe = aedes.authorizeSubscribe.bind(aedes);
  aedes.authorizeSubscribe = (client, sub, callback) => {
    const who = ids.of(client);
    if (!maySubscribe(who, sub.topic)) {
      onDeny({ action: 'subscribe', topic: sub.topic, identity: who, clientId: client?.id });
      callback(null, null); // SUBACK 0x80 for this filter; the others in the packet still count
      return;
    }
    previousSubscribe(client, sub, callback);
  };
}
