// `simedge core sims|keys|provisions|placement|edges|charging`: thin commands over the admin HTTP API
// (client.ts). Lists print one line per item (or JSON with --json); show commands print JSON.
// Exit codes come from the simedge CLI: 0 done, 1 the API refused (its code is printed), 2 usage.
import type { Command, Group, Io, OptionSpec, OptionValues } from '@simedge/device-sdk/tools';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { adminFetch, adminJson, type AdminTarget } from './client.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8620';
const MAX_CSV_FILE = 8 * 1024 * 1024;

const ADMIN_OPTIONS: Record<string, OptionSpec> = {
  admin: { type: 'string', placeholder: 'url', description: `admin API URL (default $SIMEDGE_ADMIN_URL or ${DEFAULT_ADMIN_URL})` },
  token: { type: 'string', placeholder: 'token', description: 'admin bearer token (default $SIMEDGE_ADMIN_TOKEN)' },
};
const JSON_OPTION: Record<string, OptionSpec> = { json: { type: 'boolean', description: 'print JSON instead of text' } };

/** A usage error (exit 2) thrown through the simedge CLI's own UsageError. */
async function usage(path: string[], msg: string): Promise<never> {
  const { UsageError } = await import('@simedge/device-sdk/tools');
  throw new UsageError(msg, ['simedge', 'core', ...path]);
}

async function target(v: OptionValues, path: string[]): Promise<AdminTarget> {
  const url = (v.admin as string | undefined) ?? process.env.SIMEDGE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const token = (v.token as string | undefined) ?? process.env.SIMEDGE_ADMIN_TOKEN;
  if (!/^https?:\/\/[^/]+/.test(url)) return usage(path, `--admin must be an http(s) URL, not '${url}'`);
  if (!token) return usage(path, '--token (or SIMEDGE_ADMIN_TOKEN) is required');
  return { url, token };
}

const printJson = (io: Io, v: unknown): void => io.out(`${JSON.stringify(v, null, 2)}\n`);

function cmd(path: string[], spec: Omit<Command, 'kind' | 'name' | 'run' | 'options'> & { options?: Record<string, OptionSpec> },
  run: (t: AdminTarget, v: OptionValues, args: string[], io: Io) => Promise<number>): Command {
  return {
    kind: 'command', name: path[path.length - 1] as string, ...spec,
    options: { ...ADMIN_OPTIONS, ...(spec.options ?? {}) },
    run: async (v, args, io) => run(await target(v, path), v, args, io),
  };
}

const simsImport = cmd(['sims', 'import'], {
  summary: 'import SIMs from a CSV file (all rows or none)', args: '<file.csv>', minArgs: 1, maxArgs: 1,
  help: `Columns: imsi,iccid,iotsafe_pubkey,plan (a header line naming them is optional; the last two
may be empty). iotsafe_pubkey is the IoT SAFE applet's P-256 public key in hex or base64 (SPKI
DER or a 65-byte point); plan is a JSON object like {"maxProvisions":2} or a plan name from the
core's config. Every row is checked first: one bad row imports nothing and the errors name the rows.`,
}, async (t, _v, [file], io) => {
  const path = resolve(io.cwd, file as string);
  let data: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_CSV_FILE) return usage(['sims', 'import'], `${path} is larger than ${MAX_CSV_FILE} bytes`);
    data = buf.toString('utf8');
  } catch {
    const { SimedgeError } = await import('@simedge/device-sdk/wire');
    throw new SimedgeError('INPUT_UNREADABLE', path);
  }
  const a = await adminFetch(t, 'POST', '/v1/sims/import', { type: 'text/csv; charset=utf-8', data });
  const n = (JSON.parse(a.text) as { imported: number }).imported;
  io.out(`imported ${n} SIM${n === 1 ? '' : 's'}\n`);
  return 0;
});

const simsShow = cmd(['sims', 'show'], { summary: 'show one SIM: ICCID, status, plan, attach, provisions', args: '<imsi>', minArgs: 1, maxArgs: 1 },
  async (t, _v, [imsi], io) => {
    printJson(io, await adminJson(t, 'GET', `/v1/sims/${encodeURIComponent(imsi as string)}`));
    return 0;
  });

const simsStatus = cmd(['sims', 'status'], { summary: 'suspend or re-activate a subscription', args: '<imsi> <active|suspended>', minArgs: 2, maxArgs: 2 },
  async (t, _v, [imsi, status], io) => {
    if (status !== 'active' && status !== 'suspended') return usage(['sims', 'status'], "status must be 'active' or 'suspended'");
    const r = await adminJson<{ removing?: number }>(t, 'POST', `/v1/sims/${encodeURIComponent(imsi as string)}/status`, { status });
    io.out(`${imsi} ${status}${r.removing ? ` (removing ${r.removing} provision${r.removing === 1 ? '' : 's'})` : ''}\n`);
    return 0;
  });

async function keyBody(v: OptionValues, io: Io): Promise<Record<string, unknown>> {
  const key = v.key as string | undefined;
  if (!key) return usage(['keys', 'add'], '--key is required (a JWK file or 64 hex digits)');
  const body: Record<string, unknown> = {};
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(key)) body.publicKey = key;
  else {
    // Only the public half ever leaves this machine, even when given the private key file.
    const { readKeyFile, toPublicJwk } = await import('@simedge/device-sdk/tools');
    const k = readKeyFile(resolve(io.cwd, key));
    body.publicKey = toPublicJwk(k);
  }
  if (typeof v.kid === 'string') body.kid = v.kid;
  if (typeof v.mfr !== 'string') return usage(['keys', 'add'], '--mfr is required');
  body.mfr = v.mfr;
  if (typeof v.classes === 'string') body.classes = v.classes.split(',').map((s) => s.trim()).filter(Boolean);
  for (const [opt, field] of [['not-before', 'notBefore'], ['not-after', 'notAfter']] as const) {
    const s = v[opt];
    if (typeof s === 'string') body[field] = /^[0-9]+$/.test(s) ? Number(s) : s;
  }
  return body;
}

interface KeyView { kid: string; mfr: string; revoked: boolean; classes?: string[]; notBeforeIso?: string; notAfterIso?: string }
const keyLine = (k: KeyView): string =>
  `${k.kid}  ${k.mfr}  ${k.revoked ? 'REVOKED' : 'valid'}  classes ${k.classes?.join(',') ?? '*'}  ${k.notBeforeIso ?? '-'} .. ${k.notAfterIso ?? '-'}\n`;

const keysAdd = cmd(['keys', 'add'], {
  summary: 'add (or update) a manufacturer key in the trust store', maxArgs: 0,
  options: {
    key: { type: 'string', placeholder: 'file|hex', description: 'Ed25519 public key: a JWK file (simedge keys gen) or 64 hex digits' },
    kid: { type: 'string', placeholder: 'kid', description: "key id (default: the JWK's kid)" },
    mfr: { type: 'string', placeholder: 'mfr', description: 'manufacturer the key signs for (required)' },
    classes: { type: 'string', placeholder: 'a,b', description: 'device classes allowed (default: any)' },
    'not-before': { type: 'string', placeholder: 'time', description: 'validity start (seconds since the epoch or ISO 8601)' },
    'not-after': { type: 'string', placeholder: 'time', description: 'validity end (seconds since the epoch or ISO 8601)' },
    ...JSON_OPTION,
  },
}, async (t, v, _a, io) => {
  const k = await adminJson<KeyView>(t, 'POST', '/v1/keys', await keyBody(v, io));
  if (v.json) printJson(io, k);
  else io.out(`added ${keyLine(k)}`);
  return 0;
});

const keysRevoke = cmd(['keys', 'revoke'], { summary: 'revoke a manufacturer key (final)', args: '<kid>', minArgs: 1, maxArgs: 1 },
  async (t, _v, [kid], io) => {
    const r = await adminJson<{ removing?: number }>(t, 'POST', `/v1/keys/${encodeURIComponent(kid as string)}/revoke`);
    io.out(`revoked ${kid}${r.removing ? ` (removing ${r.removing} provision${r.removing === 1 ? '' : 's'})` : ''}\n`);
    return 0;
  });

const keysList = cmd(['keys', 'list'], { summary: 'list the trust store', maxArgs: 0, options: JSON_OPTION }, async (t, v, _a, io) => {
  const { keys } = await adminJson<{ keys: KeyView[] }>(t, 'GET', '/v1/keys');
  for (const k of keys) io.out(v.json ? `${JSON.stringify(k)}\n` : keyLine(k));
  return 0;
});

const keysShow = cmd(['keys', 'show'], { summary: 'show one manufacturer key', args: '<kid>', minArgs: 1, maxArgs: 1 }, async (t, _v, [kid], io) => {
  printJson(io, await adminJson(t, 'GET', `/v1/keys/${encodeURIComponent(kid as string)}`));
  return 0;
});

interface ProvView { pid: string; imsi: string; edge: string; state: string; tid: string; created: number; code?: string }
const provLine = (p: ProvView): string =>
  `${p.pid}  ${p.imsi}  ${p.state}${p.code ? ` (${p.code})` : ''}  ${p.edge}  ${p.tid}  ${new Date(p.created).toISOString()}\n`;

const provList = cmd(['provisions', 'list'], {
  summary: 'list provisions (operation records)', maxArgs: 0,
  options: {
    imsi: { type: 'string', placeholder: 'imsi', description: 'only this IMSI' },
    state: { type: 'string', placeholder: 'state', description: 'only this state (STARTING, PROCESSING, COMPLETED, FAILED, FAILED_TEMP, REMOVING, REMOVED)' },
    ...JSON_OPTION,
  },
}, async (t, v, _a, io) => {
  const q = new URLSearchParams();
  if (typeof v.imsi === 'string') q.set('imsi', v.imsi);
  if (typeof v.state === 'string') q.set('state', v.state);
  const { provisions } = await adminJson<{ provisions: ProvView[] }>(t, 'GET', `/v1/provisions${q.size > 0 ? `?${q}` : ''}`);
  for (const p of provisions) io.out(v.json ? `${JSON.stringify(p)}\n` : provLine(p));
  return 0;
});

const provShow = cmd(['provisions', 'show'], { summary: 'show one provision with its placement decision and current order', args: '<pid>', minArgs: 1, maxArgs: 1 },
  async (t, _v, [pid], io) => {
    printJson(io, await adminJson(t, 'GET', `/v1/provisions/${encodeURIComponent(pid as string)}`));
    return 0;
  });

interface EdgeView { edge: string; online: boolean; cells: string[]; cap: { cpu: number; mem: number }; used: { cpu: number; mem: number }; inst: number }
const edges = cmd(['edges'], { summary: 'list the edges the core knows (retained status)', maxArgs: 0, options: JSON_OPTION }, async (t, v, _a, io) => {
  const { edges: list } = await adminJson<{ edges: EdgeView[] }>(t, 'GET', '/v1/edges');
  for (const e of list) {
    io.out(v.json ? `${JSON.stringify(e)}\n`
      : `${e.edge}  ${e.online ? 'online' : 'OFFLINE'}  cpu ${e.used.cpu}/${e.cap.cpu}  mem ${e.used.mem}/${e.cap.mem} MB  inst ${e.inst}  cells ${e.cells.join(',') || '-'}\n`);
  }
  return 0;
});

const charging = cmd(['charging'], {
  summary: 'export charging records', maxArgs: 0,
  options: {
    csv: { type: 'boolean', description: 'print the CSV export as is [RFC4180] (default: aligned text)' },
    from: { type: 'string', placeholder: 'time', description: 'records overlapping from this time (ms or ISO 8601)' },
    to: { type: 'string', placeholder: 'time', description: 'records starting before this time (ms or ISO 8601)' },
  },
}, async (t, v, _a, io) => {
  const q = new URLSearchParams();
  if (typeof v.from === 'string') q.set('from', v.from);
  if (typeof v.to === 'string') q.set('to', v.to);
  const a = await adminFetch(t, 'GET', `/v1/charging.csv${q.size > 0 ? `?${q}` : ''}`);
  if (v.csv) {
    io.out(a.text);
    return 0;
  }
  const { parseCsv } = await import('../admin/csv.js');
  const rows = parseCsv(a.text).map((r) => r.fields);
  const widths = rows.reduce<number[]>((w, r) => r.map((f, i) => Math.max(w[i] ?? 0, f.length)), []);
  for (const r of rows) io.out(`${r.map((f, i) => f.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
  return 0;
});

interface PlacementView { cells: { loc: string; edge: string }[]; costs: { loc: string; edge: string; cost: number }[] }

const placementList = cmd(['placement', 'list'], { summary: 'show the cell/TAI -> edge table and the cost table', maxArgs: 0, options: JSON_OPTION }, async (t, v, _a, io) => {
  const p = await adminJson<PlacementView>(t, 'GET', '/v1/placement');
  if (v.json) {
    printJson(io, p);
    return 0;
  }
  for (const c of p.cells) io.out(`cell  ${c.loc}  -> ${c.edge}\n`);
  for (const c of p.costs) io.out(`cost  ${c.loc}  ${c.edge}  ${c.cost}\n`);
  return 0;
});

const placementSetCell = cmd(['placement', 'set-cell'], { summary: 'place a cell or TAI on an edge (replaces its entry)', args: '<cell|tai> <edge>', minArgs: 2, maxArgs: 2 },
  async (t, _v, [loc, edge], io) => {
    await adminJson(t, 'POST', '/v1/placement/cells', { loc, edge });
    io.out(`${loc} -> ${edge}\n`);
    return 0;
  });

const placementRmCell = cmd(['placement', 'rm-cell'], { summary: 'remove a cell or TAI entry', args: '<cell|tai>', minArgs: 1, maxArgs: 1 },
  async (t, _v, [loc], io) => {
    await adminJson(t, 'POST', `/v1/placement/cells/${encodeURIComponent(loc as string)}/delete`);
    io.out(`removed ${loc}\n`);
    return 0;
  });

const placementSetCost = cmd(['placement', 'set-cost'], { summary: 'set the cost of serving a cell or TAI from an edge (fallback placement)', args: '<cell|tai> <edge> <cost>', minArgs: 3, maxArgs: 3 },
  async (t, _v, [loc, edge, cost], io) => {
    const n = Number(cost);
    if (cost === '' || !Number.isFinite(n) || n < 0) return usage(['placement', 'set-cost'], 'cost must be a number >= 0');
    await adminJson(t, 'POST', '/v1/placement/costs', { loc, edge, cost: n });
    io.out(`${loc} ${edge} cost ${n}\n`);
    return 0;
  });

const placementRmCost = cmd(['placement', 'rm-cost'], { summary: 'remove the cost of an edge for a cell or TAI', args: '<cell|tai> <edge>', minArgs: 2, maxArgs: 2 },
  async (t, _v, [loc, edge], io) => {
    await adminJson(t, 'POST', `/v1/placement/costs/${encodeURIComponent(loc as string)}/${encodeURIComponent(edge as string)}/delete`);
    io.out(`removed ${loc} ${edge}\n`);
    return 0;
  });

export const adminEntries: Array<Command | Group> = [
  { kind: 'group', name: 'sims', summary: 'subscriber registry: import, show, suspend', children: [simsImport, simsShow, simsStatus] },
  { kind: 'group', name: 'keys', summary: 'manufacturer keys in the trust store: add, revoke, list, show', children: [keysAdd, keysRevoke, keysList, keysShow] },
  { kind: 'group', name: 'provisions', summary: 'provisions (operation records): list, show', children: [provList, provShow] },
  { kind: 'group', name: 'placement', summary: 'placement tables: cell/TAI -> edge entries and edge costs', children: [placementList, placementSetCell, placementRmCell, placementSetCost, placementRmCost] },
  edges,
  charging,
];
