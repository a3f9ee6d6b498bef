// Structured logging for the core: one JSON object per line. Deliberately tiny (no dependency):
// the daemon entry picks the sink and level, tests pass `silentLogger`.
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, string | number | boolean | undefined>;
export type Logger = (level: Level, msg: string, fields?: Fields) => void;

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const silentLogger: Logger = () => {};

/** JSON lines to a writable (stderr by default), dropping records below `min`. */
export function jsonLogger(min: Level = 'info', out: { write(s: string): unknown } = process.stderr, name = 'core'): Logger {
  return (level, msg, fields) => {
    if (RANK[level] < RANK[min]) return;
    out.write(`${JSON.stringify({ t: new Date().toISOString(), level, name, msg, ...fields })}\n`);
  };
}
