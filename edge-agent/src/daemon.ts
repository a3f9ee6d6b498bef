// The edge daemon (STYLE #11: thin entry), modelled on core-validator/src/daemon.ts: from a
// checked EdgeConfig, take the state directory's lock, build the EdgeAgent and start it; say
// where it connected and listens; stop it and release the lock. `serveEdge` adds the process
// part: run until SIGINT/SIGTERM (or an abort signal), stop gracefully, resolve with exit code 0.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isSimedgeError, SimedgeError, type TraceEvent } from '@simedge/device-sdk/wire';
import { serveDaemon, type ServeIo } from '@simedge/device-sdk/tools';
import { EdgeAgent, type EdgeOptions } from './agent.js';
import { LEVELS, type EdgeConfig, type Level } from './daemon-config.js';

export type Fields = Record<string, string | number | boolean | undefined>;
/** The daemon's log: one call per record, filtered and formatted by the implementation. */
export type DaemonLog = (level: Level, msg: string, fields?: Fields) => void;

export const silentLog: DaemonLog = () => {};

/**
 * JSON lines (`time`, `level`, `name`, `msg`, fields) like the core daemon's log, so one `jq`
 * filter reads both. Written without pino: the agent's log is a plain string sink (log.ts) and
 * this is all it needs.
 */
export function jsonLog(min: Level, name: string, out: { write(s: string): unknown } = process.stderr): DaemonLog {
  const floor = LEVELS.indexOf(min);
  return (level, msg, fields) => {
    if (LEVELS.indexOf(level) < floor) return;
    // Context fields never replace the record's own keys.
    out.write(`${JSON.stringify({ ...fields, time: new Date().toISOString(), level, name, msg })}\n`);
  };
}

// The agent's log lines carry no level; these words mark the ones an admin running at `warn`
// must still see (failures, refusals, degraded CPU limits).
const WARN = /\b(failed|refused|dropped|NOT enforced|error|exited|killed)\b/i;

export interface RunningEdge {
  agent: EdgeAgent;
  brokerUrl: string;
  stateDir: string;
  /** `http://127.0.0.1:<port>/metrics` when metrics are on. */
  metricsUrl?: string;
  /** Stop the agent (instances, offline status, disconnect) and release the state lock; safe to call twice. */
  stop(): Promise<void>;
}

export interface RunOptions {
  /** Default: JSON lines on stderr at the configured level. */
  log?: DaemonLog;
}

/**
 * One agent per state directory: two agents reconciling the same desired state would each
 * remove the other's instances as orphans. The lock is an exclusive SQLite transaction on
 * `<stateDir>/agent.lock`, held for the daemon's lifetime: the OS drops it when the process
 * dies, so a crash never leaves a stale lock behind (a pid file would, and PIDs are reused - a
 * containerised agent is always PID 1).
 */
function lockState(dir: string): () => void {
  let db: Database.Database;
  try {
    mkdirSync(dir, { recursive: true });
    db = new Database(join(dir, 'agent.lock'), { timeout: 0 });
  } catch (e) {
    throw new SimedgeError('CONFIG_INVALID', `stateDir: cannot use ${dir}: ${(e as Error).message}`);
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch {
    db.close();
    let holder = '';
    try {
      holder = ` (pid ${readFileSync(join(dir, 'agent.pid'), 'utf8').trim()})`;
    } catch {
      // The pid file only makes the message friendlier.
    }
    throw new SimedgeError('CONFIG_INVALID', `stateDir: ${dir} is in use by another running edge agent${holder}`);
  }
  try {
    writeFileSync(join(dir, 'agent.pid'), `${process.pid}\n`);
  } catch {
    // Informational only (see above); the lock is what counts.
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    db.exec('ROLLBACK');
    db.close();
  };
}

/** The EdgeAgent options a config stands for; `log` receives the agent's lines and traces. */
export function edgeOptions(config: EdgeConfig, log: DaemonLog): EdgeOptions {
  return {
    id: config.id,
    brokerUrl: config.broker.url,
    coreKeys: config.coreKeys,
    cells: config.cells,
    capacity: config.capacity,
    host: config.host,
    stateDir: config.stateDir,
    runtime: config.runtime,
    artefacts: config.artefacts,
    log: (msg) => log(WARN.test(msg) ? 'warn' : 'info', msg),
    // Traces are the agent's step-by-step story (FIG. 2 steps): debug level.
    trace: (e: TraceEvent) => log('debug', e.ev, { step: e.step, imsi: e.imsi, detail: e.detail }),
    ...(config.tls && { tls: config.tls }),
    ...(config.oci && { oci: config.oci }),
    ...(config.kubernetes && { kubernetes: config.kubernetes }),
    ...(config.sharedGraceMs !== undefined && { sharedGraceMs: config.sharedGraceMs }),
    ...(config.restart && { restart: config.restart }),
    ...(config.process && { process: config.process }),
    ...(config.metrics && { metricsPort: config.metrics.port }),
  };
}

/** Errors of the first broker connection, as connectMqtt (device-sdk/node), the socket and TLS
 *  report them. A socket error counts only when it names the broker's host or port: the OCI and
 *  Kubernetes runtimes open sockets of their own during start(). */
function isBrokerError(e: unknown, brokerUrl: string): boolean {
  const err = e as NodeJS.ErrnoException & { port?: unknown; hostname?: unknown };
  if (typeof err?.message === 'string' && /^MQTT connect/.test(err.message)) return true;
  if (err?.name === 'ErrorWithReasonCode') return true; // a CONNACK refusal (MQTT.js)
  const code = typeof err?.code === 'string' ? err.code : '';
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)) return true;
  const u = new URL(brokerUrl);
  const port = Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 1883));
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code) && (err.port === port || err.hostname === u.hostname);
}

/** Start the agent the config names. On a failure half-way, what already started is stopped. */
export async function runEdge(config: EdgeConfig, opts: RunOptions = {}): Promise<RunningEdge> {
  const log = opts.log ?? jsonLog(config.log.level, `edge:${config.id}`);
  const unlock = lockState(config.stateDir);
  let agent: EdgeAgent;
  try {
    agent = new EdgeAgent(edgeOptions(config, log));
  } catch (e) {
    unlock();
    // The constructor opens the state store: an unwritable folder or a newer schema lands here.
    throw new SimedgeError('CONFIG_INVALID', `stateDir: cannot open the state store in ${config.stateDir}: ${(e as Error).message}`);
  }
  try {
    await agent.start();
  } catch (e) {
    try {
      await agent.stop();
    } catch (s) {
      log('error', 'stop after a failed start failed', { err: s instanceof Error ? s.message : String(s) });
    }
    unlock();
    if (isSimedgeError(e)) throw e;
    const err = e as NodeJS.ErrnoException;
    // A taken port or an unreachable broker is an operator's problem, not a bug: say which.
    if (err.syscall === 'listen') throw new SimedgeError('CONFIG_INVALID', `metrics.port: cannot listen: ${err.message}`);
    // The engine socket of runtime oci (also where kubernetes builds its image) is not there or refuses us.
    const socket = config.oci?.socketPath ?? '/var/run/docker.sock';
    if (config.runtime !== 'process' && (err as { address?: unknown }).address === socket) {
      throw new SimedgeError('CONFIG_INVALID', `oci.socketPath: cannot reach the container engine at ${socket}: ${err.message}`);
    }
    if (isBrokerError(e, config.broker.url)) throw new SimedgeError('TRANSPORT', `broker ${config.broker.url}: ${err.message}`);
    throw e;
  }
  let stopped: Promise<void> | undefined;
  const port = agent.metricsPort();
  const running: RunningEdge = {
    agent, brokerUrl: config.broker.url, stateDir: config.stateDir,
    ...(port !== undefined && { metricsUrl: `http://127.0.0.1:${port}/metrics` }),
    stop: () => (stopped ??= agent.stop().finally(unlock)),
  };
  log('info', 'edge daemon running', { edge: config.id, broker: config.broker.url, runtime: config.runtime, stateDir: config.stateDir, coreKeys: config.coreKeys.map((k) => k.kid).join(',') });
  return running;
}

export type { ServeIo };

/** Run until SIGINT/SIGTERM (or `io.signal`), then stop gracefully. Resolves with the exit code. */
export function serveEdge(config: EdgeConfig, io: ServeIo, opts: RunOptions = {}): Promise<number> {
  return serveDaemon('edge', async () => {
    const running: RunningEdge = await runEdge(config, opts);
    // One line per connection and listener: scripts and tests read these.
    const lines = [`broker ${running.brokerUrl}`, `state ${running.stateDir}`];
    if (running.metricsUrl !== undefined) lines.push(`metrics ${running.metricsUrl}`);
    return { lines, stop: () => running.stop() };
  }, io);
}
