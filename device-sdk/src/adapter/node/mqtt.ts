// MQTT.js client factory used by every Node-side part (device adapter, core, edge).
// Sets TCP_NODELAY on the socket before the first packet goes out: with Nagle's algorithm on, a
// request/response round trip through the broker costs ~88 ms instead of ~0.2 ms.
// `mqtts://` runs TLS over that same TCP socket (so it keeps TCP_NODELAY), with the operator CA
// and, for mutual TLS, the client's own certificate and key (DESIGN.md Trust).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient, type IClientOptions } from 'mqtt';

export type { MqttClient } from 'mqtt';

/** Client credentials for mutual TLS (`mqtts://`): the operator CA, and this client's own
 *  certificate and key, all PEM strings. */
export interface MqttTls {
  ca: string;
  cert: string;
  key: string;
}

export interface ConnectOptions extends Omit<IClientOptions, 'host' | 'port' | 'protocol'> {
  /** Give up after this long (ms) if the first connection does not succeed. */
  connectTimeoutMs?: number;
  /** Local address to connect from, e.g. the device's framed IP on loopback (127.100.0.7), so the
   *  broker sees the address the network attached it with (network attestation). */
  localAddress?: string;
}

/** Connect to mqtt://host:port (or mqtts://host:port with `ca`, `cert`, `key`) and resolve once
 *  CONNACK arrives. Rejects early on an error MQTT.js does not retry (a TLS handshake refused
 *  because of a certificate, a CONNACK refusal); a broker not yet listening is retried until
 *  `connectTimeoutMs`. */
export function connectMqtt(url: string, opts: ConnectOptions = {}): Promise<MqttClient> {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new TypeError(`connectMqtt: only mqtt:// and mqtts:// URLs are supported here, got ${u.protocol}`);
  const secure = u.protocol === 'mqtts:';
  // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || (secure ? 8883 : 1883));
  const { connectTimeoutMs = 10_000, localAddress, ...rest } = opts;
  // Our own stream builder so we own the socket and can set TCP_NODELAY on it; it is also
  // called again on every reconnect.
  const tcp = (): Socket => netConnect({ host, port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
  const build = secure
    ? (): Socket =>
        tlsConnect({
          socket: tcp(),
          ...(rest.ca !== undefined ? { ca: rest.ca } : {}),
          ...(rest.cert !== undefined ? { cert: rest.cert } : {}),
          ...(rest.key !== undefined ? { key: rest.key } : {}),
          rejectUnauthorized: rest.rejectUnauthorized ?? true,
          // The server certificate is checked against this host (DNS or IP SAN); SNI only for names [RFC6066 §3].
          ...(isIP(host) === 0 ? { servername: rest.servername ?? host } : { host }),
        })
    : tcp;
  const client = new MqttClient(build, { protocolVersion: 4, reconnectPeriod: 1000, keepalive: 30, ...rest });
  return new Promise((resolve, reject) => {
    const fail = (e: Error) => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      client.removeListener('close', closedEarly);
      // The client is finished; a late error from its dying stream must not become uncaught.
      client.on('error', () => {});
      client.end(true);
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`MQTT connect to ${url} timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
    // Without reconnects a connection closed before CONNACK is final: say so now rather than at
    // the timeout. Over TLS 1.3 this is how a refused client certificate looks to the client: the
    // broker closes the connection after the client's handshake has already completed.
    const closedEarly = () => {
      if (rest.reconnectPeriod === 0) fail(new Error(`MQTT connection to ${url} closed before CONNACK${secure ? ' (TLS: the broker may have refused the client certificate)' : ''}`));
    };
    client.on('error', fail);
    client.on('close', closedEarly);
    client.once('connect', () => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      client.removeListener('close', closedEarly);
      resolve(client);
    });
  });
}

/** End a client and wait for it to close. */
export function endMqtt(client: MqttClient, force = false): Promise<void> {
  return new Promise((resolve) => client.end(force, {}, () => resolve()));
}
