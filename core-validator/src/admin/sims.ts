// SIM import [issue 4 item 6]: CSV rows `imsi,iccid,iotsafe_pubkey,plan` become subscribers.
// Every row is checked first (the same checks the store makes, plus duplicates within the file);
// one bad row refuses the whole file, naming every bad row, so an operator never has to work out
// which half of a batch went in. A header row is optional: when the first record names an `imsi`
// column, columns are taken by name (any order), else by position.
import { isImsi, SimedgeError } from '@simedge/device-sdk/wire';
import { checkPlan } from '../policy.js';
import { simPublicKey } from '../simproof.js';
import type { Plan, Subscriber } from '../store/types.js';
import { parseCsv, type CsvRecord } from './csv.js';
import { AdminError } from './http.js';

export const SIM_COLUMNS = ['imsi', 'iccid', 'iotsafe_pubkey', 'plan'] as const;
/** Rows one import may hold (the body limit also applies). */
export const MAX_IMPORT_ROWS = 100_000;
const ICCID = /^[0-9]{10,22}$/; // the wire format's ICCID rule (messages.ts hello)

export interface RowError { row: number; line: number; msg: string }

/** Hex (even length) or base64/base64url; TypeError when it is neither. */
export function keyBytes(s: string): Uint8Array {
  const t = s.trim();
  if (/^(0x)?([0-9a-fA-F]{2})+$/.test(t)) return new Uint8Array(Buffer.from(t.replace(/^0x/, ''), 'hex'));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return new Uint8Array(Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64'));
  throw new TypeError('must be hex or base64');
}

/** A plan cell: a JSON object (`{"maxProvisions":2}`) or the name of a configured plan. */
export function planCell(s: string, plans: Readonly<Record<string, Plan>>): Plan {
  const t = s.trim();
  if (t.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new TypeError('plan is not valid JSON');
    }
    return checkPlan(v as Plan);
  }
  const named = Object.prototype.hasOwnProperty.call(plans, t) ? plans[t] : undefined;
  if (!named) throw new TypeError(`unknown plan '${t.slice(0, 40)}'`);
  return named;
}

/** Parse and check a whole import. AdminError ADMIN_CSV_INVALID (with `errors`) if any row is bad. */
export function parseSimImport(text: string, plans: Readonly<Record<string, Plan>> = {}): Subscriber[] {
  const it = checkImport(text, plans);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/** The same, yielding to the event loop every few hundred rows: a large import (each key check
 *  costs a fraction of a millisecond) must not stall the core's MQTT handling. */
export async function checkSimImport(text: string, plans: Readonly<Record<string, Plan>> = {}): Promise<Subscriber[]> {
  const it = checkImport(text, plans);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const ROWS_PER_SLICE = 256;

function* checkImport(text: string, plans: Readonly<Record<string, Plan>>): Generator<undefined, Subscriber[]> {
  const records = parseCsv(text);
  yield;
  let cols: Record<(typeof SIM_COLUMNS)[number], number> = { imsi: 0, iccid: 1, iotsafe_pubkey: 2, plan: 3 };
  let body = records;
  const first = records[0];
  // A header names its columns; an IMSI is digits, so a data row can never look like one.
  if (first && first.fields.some((f) => f.trim().toLowerCase() === 'imsi')) {
    const names = first.fields.map((f) => f.trim().toLowerCase());
    const unknown = names.filter((n) => !(SIM_COLUMNS as readonly string[]).includes(n));
    if (unknown.length > 0 || new Set(names).size !== names.length || !names.includes('iccid')) {
      throw new AdminError('ADMIN_CSV_INVALID', `header line ${first.line}: columns must be ${SIM_COLUMNS.join(', ')} (imsi and iccid required, each once)`,
        { errors: [{ row: 1, line: first.line, msg: 'bad header' }] });
    }
    cols = { imsi: names.indexOf('imsi'), iccid: names.indexOf('iccid'), iotsafe_pubkey: names.indexOf('iotsafe_pubkey'), plan: names.indexOf('plan') };
    body = records.slice(1);
  }
  if (body.length === 0) throw new SimedgeError('ADMIN_BAD_REQUEST', 'the CSV holds no SIM rows');
  if (body.length > MAX_IMPORT_ROWS) throw new SimedgeError('ADMIN_BAD_REQUEST', `at most ${MAX_IMPORT_ROWS} rows per import`);

  const width = first === body[0] ? 4 : (first?.fields.length ?? 4);
  const errors: RowError[] = [];
  const out: Subscriber[] = [];
  const seen = new Map<string, number>();
  const rowOffset = records.length - body.length; // a header is row 1
  /** One row: its subscriber, or why it is refused. */
  const checkRow = (rec: CsvRecord, row: number): Subscriber | string => {
    if (rec.fields.length > width) return `${rec.fields.length} fields, at most ${width}`;
    const cell = (k: (typeof SIM_COLUMNS)[number]): string => (cols[k] < 0 ? '' : (rec.fields[cols[k]] ?? '').trim());
    const imsi = cell('imsi');
    const iccid = cell('iccid');
    if (!isImsi(imsi)) return 'imsi must be 6 to 15 digits';
    if (!ICCID.test(iccid)) return 'iccid must be 10 to 22 digits';
    const dup = seen.get(imsi);
    if (dup !== undefined) return `imsi ${imsi} already on row ${dup}`;
    seen.set(imsi, row);
    const sub: Subscriber = { imsi, iccid };
    const key = cell('iotsafe_pubkey');
    if (key !== '') {
      try {
        const bytes = keyBytes(key);
        simPublicKey(bytes); // the same check addSubscriber makes: P-256, SPKI DER or uncompressed point
        sub.simKey = bytes;
      } catch (e) {
        return `iotsafe_pubkey: ${(e as Error).message}`;
      }
    }
    const plan = cell('plan');
    if (plan !== '') {
      try {
        sub.plan = planCell(plan, plans);
      } catch (e) {
        return `plan: ${(e as Error).message}`;
      }
    }
    return sub;
  };
  for (let i = 0; i < body.length; i++) {
    if (i % ROWS_PER_SLICE === ROWS_PER_SLICE - 1) yield;
    const rec = body[i] as CsvRecord;
    const row = i + 1 + rowOffset;
    const r = checkRow(rec, row);
    if (typeof r === 'string') errors.push({ row, line: rec.line, msg: r });
    else out.push(r);
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, 100);
    throw new AdminError('ADMIN_CSV_INVALID', `rows ${shown.map((e) => e.row).join(', ')}${errors.length > shown.length ? ', ...' : ''}`,
      { errors: shown, errorCount: errors.length });
  }
  return out;
}
