// Turning decoded wire values into something a person or a script can read: JSON with byte
// strings as {"$bytes": hex} (the convention of test/vectors), and short text for terminals.
import { stringify as toYaml } from 'yaml';
import type { Inspection } from './inspect.js';

export function toJsonable(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('hex') };
  if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [toJsonable(k), toJsonable(x)]) };
  if (Array.isArray(v)) return v.map(toJsonable);
  if (typeof v === 'number' && !Number.isFinite(v)) return { $float: String(v) };
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonable(x)]));
  return v;
}

/** Readable form: short byte strings as hex, long ones as their size. */
function forText(v: unknown): unknown {
  if (v instanceof Uint8Array) return v.length <= 32 ? `h'${Buffer.from(v).toString('hex')}'` : `<${v.length} bytes>`;
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), forText(x)]));
  if (Array.isArray(v)) return v.map(forText);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forText(x)]));
  return v;
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

const SIGNATURE_TEXT: Record<Inspection['signature'], string> = {
  valid: 'valid',
  invalid: 'INVALID (BAD_SIGNATURE)',
  'unknown-key': 'not checked: no key with this kid (UNKNOWN_KEY)',
  'not-checked': 'not checked (give --key <pub.json> or --trust <dir>)',
};

export function inspectionText(file: string, r: Inspection): string {
  const lines = [
    `file       ${file}`,
    `size       ${r.size.total} bytes (payload ${r.size.payload}, signature ${r.size.signature})`,
    `kid        ${r.kid}`,
    `signature  ${SIGNATURE_TEXT[r.signature]}`,
  ];
  if (r.template) {
    const t = r.template;
    lines.push(`template   ${t.tid} seq ${t.seq}, class ${t.cls}, valid ${iso(t.iat)} .. ${iso(t.exp)}`);
  } else if (r.templateError) {
    lines.push(`template   NOT A VALID TEMPLATE: ${r.templateError.code} ${r.templateError.detail}`);
  }
  if (r.payload !== undefined) {
    lines.push('fields:');
    const yaml = toYaml(forText(r.template ?? r.payload), { lineWidth: 0 }).trimEnd();
    for (const l of yaml.split('\n')) lines.push(`  ${l}`);
  }
  return lines.join('\n') + '\n';
}

export function inspectionJson(file: string, r: Inspection): string {
  return JSON.stringify(toJsonable({
    file, kid: r.kid, size: r.size, signature: r.signature,
    template: r.template, templateError: r.templateError,
    payload: r.template ? undefined : r.payload,
  }), null, 2) + '\n';
}
