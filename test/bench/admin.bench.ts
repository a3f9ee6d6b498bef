// Core operations benchmarks: the SIM import check (CSV parse + IMSI/ICCID/P-256 key/plan checks
// per row) against a bare CSV parse of the same text, and a /metrics scrape of a core after a
// burst of trace events against rendering the same registry without the store-backed gauge.
import { generateKeyPairSync } from 'node:crypto';
import { CoreMetrics, EdgeTable, openStore } from '@simedge/core-validator';
import { parseCsv, parseSimImport } from '@simedge/core-validator/admin';
import { fmtRate, timeAsync, timeIt, type Bench, type Row } from './types.js';

async function simImport(): Promise<Row[]> {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
  const rows = 5000;
  const text = ['imsi,iccid,iotsafe_pubkey,plan', ...Array.from({ length: rows }, (_, i) => `24001${String(i).padStart(10, '0')},8946011${String(i).padStart(12, '0')},${key},{""maxProvisions"":2}`.replace('{""', '"{""').replace('2}', '2}"'))].join('\r\n');
  const checkMs = timeIt(5, () => { if (parseSimImport(text).length !== rows) throw new Error('import check failed'); });
  const parseMs = timeIt(5, () => { if (parseCsv(text).length !== rows + 1) throw new Error('parse failed'); });
  return [{
    name: `SIM import check, ${rows} rows with keys and plans`, value: `${fmtRate(checkMs / rows)} rows`, baseline: `${fmtRate(parseMs / rows)} rows (CSV parse only)`,
    ratio: `${(checkMs / parseMs).toFixed(1)}x the parse`, note: `${(text.length / 1024).toFixed(0)} KiB; the P-256 key check dominates`,
  }];
}

async function scrape(): Promise<Row[]> {
  const store = openStore('sqlite::memory:');
  const m = new CoreMetrics({ store, edges: new EdgeTable(), radius: () => undefined });
  for (let i = 0; i < 1000; i++) {
    m.onTrace(203, 'prov', `24001000000${String(i % 100).padStart(4, '0')}`);
    m.onTrace(204, i % 10 === 0 ? 'rejected' : 'validated', `24001000000${String(i % 100).padStart(4, '0')}`, 'BAD_NONCE');
  }
  const scrapeMs = await timeAsync(200, () => m.text());
  const traceMs = timeIt(20000, () => m.onTrace(203, 'chal', '240010000000001'));
  await store.close();
  return [{
    name: '/metrics scrape (empty store)', value: `${fmtRate(scrapeMs)}`, baseline: `${fmtRate(traceMs)} trace events counted`,
    ratio: `${(scrapeMs / traceMs).toFixed(0)}x one event`, note: 'counting happens on the trace path; a scrape also counts provisions in the store',
  }];
}

export const benches: Bench[] = [
  { name: 'sim-import', run: simImport },
  { name: 'metrics', run: scrape },
];
