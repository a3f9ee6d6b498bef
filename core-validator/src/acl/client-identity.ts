// Who an aedes client is, for the topic ACL. Over TLS: the identity in the peer certificate the
// TLS layer has already verified against the operator CA (the MQTT username and client id are
// ignored: they are claims, the certificate is proof). Over plaintext (the in-box demo, tests):
// by option, the MQTT username or client id read with identityFromName - an unauthenticated claim
// that catches wiring mistakes, not attackers; without the option a plaintext client is nobody.
import type { Aedes, Client } from 'aedes';
import type { TLSSocket } from 'node:tls';
import { identityOfPeer } from '../pki/describe.js';
import { identityFromName, type Identity } from '../pki/identity.js';

export type PlaintextIdentity = 'none' | 'username' | 'clientId';

export interface ClientIdentities {
  of(client: Client | null): Identity | undefined;
}

/** Start tracking identities on `aedes` (wraps its authenticate hook to see usernames). */
export function trackIdentities(aedes: Aedes, plaintext: PlaintextIdentity = 'none'): ClientIdentities {
  const usernames = new WeakMap<Client, string>();
  const cache = new WeakMap<Client, Identity | null>();
  if (plaintext === 'username') {
    const previous = aedes.authenticate.bind(aedes);
    aedes.authenticate = (client, username, password, callback) => {
      if (typeof username === 'string') usernames.set(client, username);
      previous(client, username, password, callback);
    };
  }
  const resolve = (client: Client): Identity | undefined => {
    const conn = client.conn as Partial<TLSSocket>;
    if (typeof conn.getPeerCertificate === 'function') {
      // A TLS connection: the certificate or nothing, whatever the plaintext option says.
      return conn.authorized === true ? identityOfPeer(conn.getPeerCertificate()) : undefined;
    }
    if (plaintext === 'username') return identityFromName(usernames.get(client));
    if (plaintext === 'clientId') return identityFromName(client.id);
    return undefined;
  };
  return {
    of(client) {
      // Wills published for a client that is gone (client null) have no identity: denied.
      if (!client) return undefined;
      let v = cache.get(client);
      if (v === undefined) {
        // The authorize hooks run only after CONNECT, so the username is known by now.
        v = resolve(client) ?? null;
        cache.set(client, v);
      }
      return v ?? undefined;
    },
  };
}
