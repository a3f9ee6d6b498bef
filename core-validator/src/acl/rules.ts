// The topic ACL: what each identity may publish and subscribe (DESIGN.md Messages and Trust: "a
// device publishes only under its own IMSI"). One table, used by the aedes hook and rendered into
// a Mosquitto acl_file, so both brokers enforce the same rules. Anything not granted is denied.
import { TOPIC_ROOT, topics } from '@simedge/device-sdk/wire';
import type { Identity } from '../pki/identity.js';
import { covers } from './match.js';

export interface Grants {
  publish: string[];
  subscribe: string[];
}

/** What `who` may do. The core's shared subscription mirrors topics.sharedDeviceUp. */
export function grantsFor(who: Identity): Grants {
  switch (who.role) {
    case 'device':
      return { publish: [topics.deviceUp(who.id)], subscribe: [topics.deviceDown(who.id)] };
    case 'edge':
      return { publish: [topics.edgeEvents(who.id), topics.edgeStatus(who.id)], subscribe: [topics.edgeOrders(who.id)] };
    case 'core':
      return {
        publish: [`${TOPIC_ROOT}/d/+/down`, `${TOPIC_ROOT}/e/+/orders`],
        subscribe: [topics.allDeviceUp, topics.sharedDeviceUp, topics.allEdgeEvents, topics.allEdgeStatus],
      };
    case 'broker':
      // A broker certificate is for serving; as a client it may do nothing.
      return { publish: [], subscribe: [] };
  }
}

export function mayPublish(who: Identity | undefined, topic: string): boolean {
  return who !== undefined && grantsFor(who).publish.some((p) => covers(p, topic));
}

export function maySubscribe(who: Identity | undefined, filter: string): boolean {
  return who !== undefined && grantsFor(who).subscribe.some((p) => covers(p, filter));
}
