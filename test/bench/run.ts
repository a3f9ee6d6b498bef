// `npm run bench [-- <name filter>...]`: performance targets are measured here, never asserted in
// unit tests. Every `*.bench.ts` file in this folder exports `benches`; each prints its result next
// to a baseline measured in the same run, as a ratio, and the table is written to BENCHMARKS.md.
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, Row } from './types.js';

/** One benchmark may take this long; a hung one is reported (with what keeps the event loop
 *  alive) and the run goes on, instead of the whole run waiting forever. */
const BENCH_DEADLINE_MS = 300_000;

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Node's own view of what is pending: the handles (timers, sockets) and requests.
      const proc = process as unknown as { _getActiveHandles?: () => object[]; _getActiveRequests?: () => object[] }; // internal API, diagnostics only
      const kinds = (xs: object[] | undefined) => (xs ?? []).map((x) => x.constructor.name).join(', ') || 'none';
      reject(new Error(`${what}: no result after ${ms / 1000} s (pending handles: ${kinds(proc._getActiveHandles?.())}; requests: ${kinds(proc._getActiveRequests?.())})`));
    }, ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

async function main(filters: string[]): Promise<number> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const sections: Array<{ file: string; rows: Row[] }> = [];
  let failed = 0;
  process.stdout.write('simedge benchmarks (ratios are against a baseline measured in this same run)\n');
  for (const file of files) {
    const mod = (await import(pathToFileURL(dir + file).href)) as { benches?: Bench[] };
    const rows: Row[] = [];
    for (const b of mod.benches ?? []) {
      if (filters.length && !filters.some((f) => b.name.includes(f) || file.includes(f))) continue;
      const t0 = performance.now();
      process.stdout.write(`  ${file.replace('.bench.ts', '')}/${b.name}... `);
      try {
        const r = await withDeadline(b.run(), BENCH_DEADLINE_MS, `${file}/${b.name}`);
        rows.push(...r);
        process.stdout.write(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      } catch (e) {
        failed++;
        process.stdout.write(`FAILED: ${(e as Error).message}\n`);
        rows.push({ name: b.name, value: 'failed', baseline: '-', ratio: '-', note: (e as Error).message.slice(0, 120) });
      }
    }
    if (rows.length) sections.push({ file, rows });
  }
  const table = (rows: Row[]) => ['| benchmark | result | baseline (same run) | ratio | note |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.note} |`)].join('\n');
  const text = sections.map((s) => `## ${s.file.replace('.bench.ts', '')}\n\n${table(s.rows)}\n`).join('\n');
  process.stdout.write('\n' + text);
  if (filters.length === 0) {
    const out = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
    writeFileSync(out, `# Benchmarks\n\nWritten by \`npm run bench\` on ${new Date().toISOString()} (Node ${process.version}, ${cpus().length} cores). Numbers vary by machine and load; each ratio compares with a baseline measured in the same run. Targets are stated in the notes and are never asserted by the tests.\n\n${text}`);
    process.stdout.write(`\nwrote ${out}\n`);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => { process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`); process.exitCode = 1; });
