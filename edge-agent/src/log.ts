// Operator log lines of the agent (stderr, one line each, prefixed with the actor). Kept behind
// one function so a daemon entry can swap in structured logging later.
export type Log = (msg: string) => void;

export function stderrLog(actor: string): Log {
  return (msg) => process.stderr.write(`[${actor}] ${msg}\n`);
}
