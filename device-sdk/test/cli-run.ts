// Test helper: run the real `simedge` binary (node bin/simedge.mjs) as a child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/simedge.mjs', import.meta.url));

export interface Run { code: number | null; stdout: string; stderr: string }

/** Spawn `node bin/simedge.mjs ...args` in `cwd`; resolves when it exits (15 s failure guard). */
export function simedge(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, SIMEDGE_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`simedge ${args.join(' ')} did not exit within 15 s`)); }, 15_000);
    child.on('error', (e) => { clearTimeout(guard); reject(e); });
    child.on('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }); });
  });
}
