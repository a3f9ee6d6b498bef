// Structured logging for the core: one JSON object per line (pino), with `time` (ISO 8601 UTC),
// `level` (a name, not pino's number, so `jq 'select(.level=="warn")'` reads naturally), `name`,
// `msg` and the context fields the caller passes (imsi, pid, oid, edge, code, ...). The core and
// its handlers only see the small `Logger` function type, so tests pass `silentLogger` and nothing
// else depends on pino. The daemon entry picks the level: option, else SIMEDGE_LOG_LEVEL, else info.
import { pino, stdTimeFunctions } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, string | number | boolean | undefined>;
export type Logger = (level: Level, msg: string, fields?: Fields) => void;

export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export const silentLogger: Logger = () => {};

export function isLevel(v: unknown): v is Level {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

export interface LoggerOptions {
  /** Lowest level written (default info). */
  level?: Level;
  /** Where the lines go (default stderr). Written synchronously, one line per call. */
  out?: { write(s: string): unknown };
  /** The `name` field of every line (default 'core'). */
  name?: string;
}

/** A pino-backed JSON-lines logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  if (!isLevel(level)) throw new RangeError(`log level must be one of ${LEVELS.join(', ')}`);
  const out = opts.out ?? process.stderr;
  const p = pino({
    level,
    base: { name: opts.name ?? 'core' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, { write: (s: string) => void out.write(s) });
  return (lvl, msg, fields) => {
    // Context fields never replace the record's own keys.
    if (fields && ('msg' in fields || 'level' in fields || 'time' in fields)) {
      const { msg: m, level: l, time: t, ...rest } = fields;
      p[lvl]({ ...rest, ...(m !== undefined && { fieldMsg: m }), ...(l !== undefined && { fieldLevel: l }), ...(t !== undefined && { fieldTime: t }) }, msg);
      return;
    }
    p[lvl](fields ?? {}, msg);
  };
}

/** JSON lines to a writable (stderr by default), dropping records below `min`. */
export function jsonLogger(min: Level = 'info', out: { write(s: string): unknown } = process.stderr, name = 'core'): Logger {
  return createLogger({ level: min, out, name });
}

/** The level named by SIMEDGE_LOG_LEVEL, if it names one; RangeError on a wrong name. */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): Level | undefined {
  const v = env.SIMEDGE_LOG_LEVEL;
  if (v === undefined || v === '') return undefined;
  if (!isLevel(v)) throw new RangeError(`SIMEDGE_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  return v;
}
