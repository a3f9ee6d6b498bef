// The admin HTTP API server (node:http, JSON): loopback by default, a bearer token on everything
// but /healthz, bounded bodies and headers, and one log line per request with its result code.
// Routes live in routes.ts; this file is the door: parse, authenticate, dispatch, answer.
import { SimedgeError } from '@simedge/device-sdk/wire';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { silentLogger, type Logger } from '../log.js';
import type { Plan } from '../store/types.js';
import { authorized, readBody, sendError, sendJson, sendText } from './http.js';
import { match, type AdminCore } from './routes.js';

export interface AdminOptions {
  /** Bearer token every request except GET /healthz must carry; at least 16 characters. */
  token: string;
  /** Default 127.0.0.1: the API manages the trust store, so exposing it is a deliberate choice. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Largest CSV import body (default 8 MiB). */
  maxImportBytes?: number;
  /** Largest JSON body (default 64 KiB). */
  maxJsonBytes?: number;
  /** Named plans a CSV `plan` column may refer to. */
  plans?: Record<string, Plan>;
  log?: Logger;
}

export interface AdminServer {
  /** http://host:port */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(core: AdminCore, opts: AdminOptions): Promise<AdminServer> {
  if (typeof opts.token !== 'string' || opts.token.length < 16) throw new RangeError('admin token must be a string of at least 16 characters');
  const host = opts.host ?? '127.0.0.1';
  const maxImport = opts.maxImportBytes ?? 8 * 1024 * 1024;
  const maxJson = opts.maxJsonBytes ?? 64 * 1024;
  const log = opts.log ?? silentLogger;
  const plans = opts.plans ?? {};
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = Date.now();
    const method = req.method ?? 'GET';
    let path = '/';
    let outcome = { status: 200, code: 'OK' };
    try {
      const url = new URL(req.url ?? '/', 'http://admin.invalid');
      path = url.pathname;
      const m = match(method, path);
      if (!('route' in m)) {
        if (m.allowed.length > 0) res.setHeader('allow', m.allowed.join(', '));
        throw new SimedgeError(m.allowed.length > 0 ? 'ADMIN_METHOD' : 'ADMIN_NOT_FOUND', `${method} ${path.slice(0, 128)}`);
      }
      // Authenticate before reading a single body byte.
      if (!m.route.open && !authorized(req, opts.token)) {
        res.setHeader('www-authenticate', 'Bearer realm="simedge-core"');
        throw new SimedgeError('ADMIN_UNAUTHORIZED');
      }
      const reply = await m.route.run({
        core, params: m.params, query: url.searchParams, plans,
        body: () => readBody(req, m.route.bigBody ? maxImport : maxJson),
      });
      if (reply.kind === 'json') {
        outcome.status = reply.status ?? 200;
        sendJson(res, outcome.status, reply.body);
      } else sendText(res, 200, reply.contentType, reply.body);
    } catch (e) {
      if (e instanceof SimedgeError && e.code === 'ADMIN_TOO_LARGE') {
        // The rest of the body is not wanted: answer, then close instead of draining it.
        res.setHeader('connection', 'close');
        const sock = req.socket as Socket | null;
        res.once('finish', () => sock?.destroySoon());
      }
      if (!(e instanceof SimedgeError)) log('error', 'admin request failed', { method, path: path.slice(0, 128), err: e instanceof Error ? e.message : String(e) });
      outcome = sendError(res, e);
    }
    log(outcome.status >= 500 ? 'error' : 'info', 'admin request', { method, path: path.slice(0, 128), status: outcome.status, code: outcome.code, ms: Date.now() - t0 });
  };

  const server: Server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    void handle(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  let closed = false;
  return {
    url: `http://${shown}:${port}`,
    host,
    port,
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await done;
    },
  };
}
