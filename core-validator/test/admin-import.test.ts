// The admin API's pure parts: the CSV reader [RFC4180 §2], the SIM import checks (all rows first,
// every bad row named) and the manufacturer-key body checks. No server here: admin-api.test.ts
// drives the same code over real HTTP.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSimedgeError, type SimedgeError } from '@simedge/device-sdk/wire';
import { keyView, parseCsv, parseSimImport, trustKeyFromBody } from '../src/admin/index.js';
import { csvField } from '../src/index.js';

const simKeyHex = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');

function caught(f: () => unknown): SimedgeError & { extra?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (isSimedgeError(e)) return e;
    throw e;
  }
  throw new Error('expected a SimedgeError');
}

describe('parseCsv [RFC4180 §2]', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks; CRLF or LF; skips blank lines', () => {
    const text = 'a,"b,c","say ""hi"""\r\n\r\n"multi\nline",,x\nlast';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b,c', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', '', 'x'] },
      { line: 5, fields: ['last'] },
    ]);
  });

  it('refuses an unclosed quote, a quote inside a bare field and text after a closing quote, naming the line', () => {
    expect(caught(() => parseCsv('a,b\n"open,c\n')).detail).toMatch(/line 3: a quoted field is not closed/);
    expect(caught(() => parseCsv('ok\nab"c,d')).detail).toMatch(/line 2: a quote inside an unquoted field/);
    expect(caught(() => parseCsv('"a"b,c')).code).toBe('ADMIN_BAD_REQUEST');
  });

  it('round-trips whatever the writer (csvField, the charging export) quotes', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ',', '"', '\r', '\n', ' ', 'é') , maxLength: 8 });
    fc.assert(fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
      const text = rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
      expect(parseCsv(text).map((r) => r.fields)).toEqual(rows);
    }));
  });
});

describe('SIM import rows', () => {
  it('takes columns by position or by a header in any order; key as hex or base64; plan as JSON or a configured name', () => {
    const hex = simKeyHex();
    const b64 = Buffer.from(hex, 'hex').toString('base64');
    const positional = parseSimImport(`240011234000001,89460112340000010,${hex},\n240011234000002,89460112340000028,,"{""maxProvisions"":2}"\n`);
    expect(positional).toHaveLength(2);
    expect(Buffer.from(positional[0]!.simKey!).toString('hex')).toBe(hex);
    expect(positional[1]).toEqual({ imsi: '240011234000002', iccid: '89460112340000028', plan: { maxProvisions: 2 } });

    const named = parseSimImport(`plan,iccid,imsi,iotsafe_pubkey\r\ngold,89460112340000036,240011234000003,${b64}\r\n`, { gold: { maxServices: 5 } });
    expect(named).toEqual([{ imsi: '240011234000003', iccid: '89460112340000036', plan: { maxServices: 5 }, simKey: new Uint8Array(Buffer.from(hex, 'hex')) }]);
  });

  it('checks every row and names every bad one (row numbers count the header)', () => {
    const text = [
      'imsi,iccid,iotsafe_pubkey,plan',
      '240011234000001,89460112340000010,,',
      '24001123400000X,89460112340000028,,', // row 3: imsi
      '240011234000003,123,,', // row 4: iccid
      '240011234000004,89460112340000044,00ff,', // row 5: not a P-256 key
      '240011234000005,89460112340000051,,platinum', // row 6: unknown plan
      '240011234000001,89460112340000069,,', // row 7: duplicate of row 2
      '240011234000007,89460112340000077,,"{""maxProvisions"":-1}"', // row 8: bad plan
    ].join('\n');
    const e = caught(() => parseSimImport(text));
    expect(e.code).toBe('ADMIN_CSV_INVALID');
    const errors = e.extra?.errors as { row: number; msg: string }[];
    expect(errors.map((r) => r.row)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(errors[4]!.msg).toMatch(/already on row 2/);
    expect(e.detail).toBe('rows 3, 4, 5, 6, 7, 8');
  });

  it('refuses an empty file, an unknown header column and extra fields', () => {
    expect(caught(() => parseSimImport('\n\n')).code).toBe('ADMIN_BAD_REQUEST');
    expect(caught(() => parseSimImport('imsi,iccid,colour\n240011234000001,89460112340000010,red\n')).code).toBe('ADMIN_CSV_INVALID');
    const e = caught(() => parseSimImport('240011234000001,89460112340000010,,,surplus\n'));
    expect((e.extra?.errors as { msg: string }[])[0]!.msg).toMatch(/5 fields, at most 4/);
  });
});

describe('manufacturer key bodies', () => {
  const x = Buffer.alloc(32, 7);
  it('accepts a JWK (kid from it) or hex, classes, and a window in seconds or ISO 8601', () => {
    const k = trustKeyFromBody({ publicKey: { kty: 'OKP', crv: 'Ed25519', kid: 'acme-1', x: x.toString('base64url') }, mfr: 'acme', classes: ['acme/a'], notBefore: 1_700_000_000, notAfter: '2030-01-01T00:00:00Z' });
    expect(k).toEqual({ kid: 'acme-1', publicKey: new Uint8Array(x), mfr: 'acme', classes: ['acme/a'], notBefore: 1_700_000_000, notAfter: 1_893_456_000 });
    expect(trustKeyFromBody({ kid: 'acme-2', publicKey: x.toString('hex'), mfr: 'acme' }).publicKey).toEqual(new Uint8Array(x));
    expect(keyView(k)).toMatchObject({ kid: 'acme-1', revoked: false, publicKeyHex: x.toString('hex'), notAfterIso: '2030-01-01T00:00:00.000Z' });
  });

  it.each([
    [{ kid: 'k', publicKey: 'abcd', mfr: 'acme' }, /64 hex digits/],
    [{ publicKey: { kty: 'OKP', crv: 'Ed25519', kid: 'k', x: x.toString('base64url'), d: x.toString('base64url') }, mfr: 'acme' }, /private key/],
    [{ kid: 'other', publicKey: { kty: 'OKP', crv: 'Ed25519', kid: 'k', x: x.toString('base64url') }, mfr: 'acme' }, /differs/],
    [{ kid: 'k', publicKey: x.toString('hex') }, /mfr/],
    [{ kid: 'k', publicKey: x.toString('hex'), mfr: 'acme', notBefore: 10, notAfter: 5 }, /after notBefore/],
    [{ kid: 'k', publicKey: x.toString('hex'), mfr: 'acme', revoked: false }, /unknown field revoked/],
  ])('refuses %j', (body, why) => {
    const e = caught(() => trustKeyFromBody(body as Record<string, unknown>));
    expect(e.code).toBe('ADMIN_BAD_REQUEST');
    expect(e.detail).toMatch(why);
  });
});
