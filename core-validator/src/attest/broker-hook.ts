// The aedes side of network attestation: every publish on a device up topic is recorded with
// the TCP peer address of the connection it came from, before the broker forwards it. Devices
// connect from their framed IP (DESIGN.md Trust: "broker peer address"), so the core can compare
// that address with the IMSI's current RADIUS session. Chains the broker's existing
// authorizePublish, so other policies (topic ACLs) keep working.
import type { Aedes } from 'aedes';
import type { Socket } from 'node:net';
import { PeerLog } from './peers.js';

const UP = /^simedge\/v1\/d\/[^/]+\/up$/;

/** Install the hook on an aedes broker (e.g. `startEmbeddedBroker().aedes`); returns the log it fills. */
export function recordPeers(aedes: Aedes, peers: PeerLog = new PeerLog()): PeerLog {
  const previous = aedes.authorizePublish.bind(aedes);
  aedes.authorizePublish = (client, packet, callback) => {
    previous(client, packet, (err) => {
      // Wills (client null) and non-socket transports have no peer address: no record, so a
      // `prov` among them fails attestation rather than borrowing someone else's address.
      const addr = client && (client.conn as Partial<Socket>).remoteAddress;
      if (!err && typeof addr === 'string' && UP.test(packet.topic)) {
        const payload = typeof packet.payload === 'string' ? new TextEncoder().encode(packet.payload) : new Uint8Array(packet.payload);
        peers.record(packet.topic, payload, addr);
      }
      callback(err);
    });
  };
  return peers;
}
