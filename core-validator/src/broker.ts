// The embedded MQTT broker (aedes) used by the network-in-a-box defaults and by tests.
// Listens on 127.0.0.1 and an ephemeral port unless told otherwise; TCP_NODELAY is set on every
// accepted socket (a request/response round trip costs ~88 ms with Nagle on, ~0.2 ms off).
// Optional transport security (DESIGN.md Trust): `tls` makes it a mutual-TLS listener (client
// certificates required and verified against the operator CA; url `mqtts://`), and `acl`
// installs the topic ACL (acl/aedes-hook.ts). Without them it behaves as it always did.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes } from 'aedes';
import { installTopicAcl, type TopicAclOptions } from './acl/aedes-hook.js';

export interface EmbeddedBroker {
  /** mqtt://host:port (or mqtts:// with `tls`) to hand to clients. */
  url: string;
  port: number;
  aedes: Aedes;
  close(): Promise<void>;
}

export interface BrokerTlsOptions {
  /** PEM of the operator CA that client certificates must chain to. */
  ca: string | Buffer;
  /** PEM of the broker's certificate and key (role broker, with the host in its SAN). */
  cert: string | Buffer;
  key: string | Buffer;
  /** Require a client certificate (default true: mutual TLS). */
  requestCert?: boolean;
}

export interface BrokerOptions {
  host?: string;
  port?: number;
  tls?: BrokerTlsOptions;
  /** Install the topic ACL; `true` for the defaults (identity from client certificates only). */
  acl?: TopicAclOptions | true;
}

export async function startEmbeddedBroker(opts: BrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  if (opts.acl) installTopicAcl(aedes, opts.acl === true ? {} : opts.acl);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  let server: Server;
  if (opts.tls) {
    const requestCert = opts.tls.requestCert ?? true;
    // rejectUnauthorized: a client certificate that does not chain to `ca` (or is missing, or
    // lacks clientAuth) fails the handshake; aedes never sees the connection.
    server = createTlsServer({ ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, requestCert, rejectUnauthorized: requestCert }, (tlsSocket: TLSSocket) => {
      aedes.handle(tlsSocket);
    });
    // The raw TCP socket under each TLS session: TCP_NODELAY there, and destroyed on close.
    server.on('connection', track);
    // A failed handshake (no certificate, foreign CA) is the client's problem, not the broker's:
    // drop that connection and keep serving.
    server.on('tlsClientError', (_err, tlsSocket) => tlsSocket.destroy());
  } else {
    server = createServer((socket) => {
      track(socket);
      aedes.handle(socket);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('broker: no TCP address');
  let closed = false;
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://${host}:${addr.port}`,
    port: addr.port,
    aedes,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
