// Test helper: an example program as a REAL child process (node + tsx), its stdout read as JSON
// lines, with waits on the line types it prints and on its exit.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface JsonChild {
  child: ChildProcessByStdio<null, Readable, Readable>;
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** The first line of type `t` (and matching `pred`), already printed or still to come; rejects after timeoutMs or on exit. */
  line(t: string, timeoutMs: number, pred?: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export function spawnTsx(file: string, args: string[], cwd: string): JsonChild {
  // tsx resolved here, not from cwd: the program may run in a scratch directory.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), file, ...args], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'],
    // io_uring off: reopening a PTY right after close can fail with "Cannot lock port" (hardware README).
    env: { ...process.env, UV_USE_IO_URING: '0' },
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let err = '';
  let buf = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let l: Record<string, unknown>;
      try {
        l = JSON.parse(text) as Record<string, unknown>;
      } catch {
        l = { t: 'text', text };
      }
      lines.push(l);
      for (const w of waiters.filter((x) => x.match(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, lines, exited,
    stderr: () => err,
    line(t, timeoutMs, pred = () => true) {
      const match = (l: Record<string, unknown>): boolean => l.t === t && pred(l);
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        // Failure guards only: the line normally comes long before.
        const timer = setTimeout(() => reject(new Error(`no "${t}" line within ${timeoutMs} ms; stdout: ${JSON.stringify(lines)}; stderr: ${err}`)), timeoutMs);
        void exited.then((x) => { clearTimeout(timer); reject(new Error(`exited (${x.code ?? x.signal}) before a "${t}" line; stdout: ${JSON.stringify(lines)}; stderr: ${err}`)); });
        waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
