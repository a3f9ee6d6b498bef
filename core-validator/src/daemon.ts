// The core daemon (STYLE #11: thin entry): from a checked CoreConfig, start the broker (embedded
// or external), the store, the core with its RADIUS intake, the placement tables and the admin
// API; say where each listens; stop everything in reverse order. `serveCore` adds the process
// part: run until SIGINT/SIGTERM (or an abort signal), stop gracefully, resolve with exit code 0.
import { readPrivateKeyFile, serveDaemon, type ServeIo } from '@simedge/device-sdk/tools';
import { SimedgeError } from '@simedge/device-sdk/wire';
import { recordPeers } from './attest/index.js';
import { startAdminServer, type AdminServer } from './admin/server.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { CoreValidator } from './core.js';
import type { CoreConfig } from './daemon-config.js';
import { createLogger, levelFromEnv, type Logger } from './log.js';

export interface RunningCore {
  core: CoreValidator;
  admin: AdminServer;
  /** The MQTT broker devices and edges connect to. */
  brokerUrl: string;
  /** Where RADIUS accounting listens (UDP), when configured. */
  radius?: { host: string; port: number };
  /** Stop admin API, core, store and embedded broker; safe to call twice. */
  stop(): Promise<void>;
}

export interface RunOptions {
  /** Default: JSON lines on stderr at the configured level. */
  log?: Logger;
}

/** Start everything the config names. On a failure half-way, what already started is stopped. */
export async function runCore(config: CoreConfig, opts: RunOptions = {}): Promise<RunningCore> {
  const log = opts.log ?? createLogger({ level: config.log?.level ?? levelFromEnv() ?? 'info' });
  // The key first: a wrong key file must fail before any port is taken.
  const key = readPrivateKeyFile(config.coreKeyFile);
  const undo: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const f of undo.splice(0).reverse()) {
      try {
        await f();
      } catch (e) {
        log('error', 'stop step failed', { err: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  try {
    let broker: EmbeddedBroker | undefined;
    let brokerUrl: string;
    if ('url' in config.broker) brokerUrl = config.broker.url;
    else {
      const { tls, ...listen } = config.broker.embedded;
      // With TLS the embedded broker is a deployment one: mutual TLS against the operator CA and
      // the topic ACL from the client certificates (README "Transport security").
      broker = await startEmbeddedBroker(tls && config.tls ? { ...listen, tls: { ca: config.tls.ca, cert: tls.cert, key: tls.key }, acl: true } : listen);
      const b = broker;
      undo.push(() => b.close());
      brokerUrl = broker.url;
    }
    const core = new CoreValidator({
      brokerUrl, coreKey: { kid: key.kid, seed: key.seed }, database: config.database, log,
      ...(config.tls && { tls: config.tls }),
      ...(config.policy && { policy: config.policy }),
      ...(config.radius && { radius: config.radius }),
      ...(config.opTimeoutMs !== undefined && { opTimeoutMs: config.opTimeoutMs }),
      ...(config.nonceTtlSec !== undefined && { nonceTtlSec: config.nonceTtlSec }),
      ...(config.orderTtlSec !== undefined && { orderTtlSec: config.orderTtlSec }),
      ...(config.retentionSec !== undefined && { retentionSec: config.retentionSec }),
      ...(config.shared !== undefined && { shared: config.shared }),
      ...(config.leaseMs !== undefined && { leaseMs: config.leaseMs }),
      ...(config.retry && { retry: config.retry }),
      ...(config.attestation === 'network' && broker && { attestation: 'network' as const, brokerPeers: recordPeers(broker.aedes) }),
    });
    // The core closes the store on stop(); until start() succeeded, closing it is ours.
    let started = false;
    undo.push(async () => {
      if (started) await core.stop();
      else await core.store.close();
    });
    for (const [cell, edge] of Object.entries(config.placement.cells)) await core.store.setCellEdge(cell, edge);
    for (const c of config.placement.costs) await core.store.setEdgeCost(c.loc, c.edge, c.cost);
    await core.start();
    started = true;
    const admin = await startAdminServer(core, { token: config.admin.token, port: config.admin.port, host: config.admin.host, plans: config.plans, log });
    undo.push(() => admin.close());
    const radiusPort = core.radiusPort;
    const running: RunningCore = {
      core, admin, brokerUrl,
      ...(config.radius && radiusPort !== undefined && { radius: { host: config.radius.host ?? '127.0.0.1', port: radiusPort } }),
      stop: unwind,
    };
    log('info', 'core daemon running', { broker: brokerUrl, admin: admin.url, radius: radiusPort, kid: key.kid });
    return running;
  } catch (e) {
    await unwind();
    // A taken port is an operator's problem, not a bug: say which.
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      throw new SimedgeError('CONFIG_INVALID', `cannot listen: ${err.message}`);
    }
    throw e;
  }
}

export type { ServeIo };

/** Run until SIGINT/SIGTERM (or `io.signal`), then stop gracefully. Resolves with the exit code. */
export function serveCore(config: CoreConfig, io: ServeIo, opts: RunOptions = {}): Promise<number> {
  return serveDaemon('core', async () => {
    const running: RunningCore = await runCore(config, opts);
    // One line per listener: scripts and tests read these.
    const lines = [`broker ${running.brokerUrl}`, `admin ${running.admin.url}`];
    if (running.radius) lines.push(`radius udp://${running.radius.host}:${running.radius.port}`);
    return { lines, stop: () => running.stop() };
  }, io);
}
