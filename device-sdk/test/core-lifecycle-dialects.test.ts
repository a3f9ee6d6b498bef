// Network lifecycle extras [TS27.007]: per-vendor ICCID commands with the EF_ICCID fallback, home
// PLMN from IMSI + EF_AD [TS31.102 §4.2.18], roaming = stat 5 OR serving PLMN ≠ home (patent
// claim 2), and the dialect option of attach(), against modems scripted in the test.
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import { homePlmn, isRoaming, mncLengthFromEfAd, readIccidFor, type Dialect } from '../src/core/lifecycle.js';
import { attach } from '../src/core/modem.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { memoryPair, OK, reply, ScriptedModem, type Script } from './core-pair.js';

const IMSI = '310150123456789';
const ICCID = '89460112340000010';

function modem(script: Script) {
  const [a, b] = memoryPair();
  const m = new ScriptedModem(b, script);
  return { m, at: new AtEngine(a, nodePlatform, { defaultTimeoutMs: 2000 }) };
}

describe('readIccidFor', () => {
  const cases: Array<[Dialect, string, string]> = [
    ['generic', 'AT+CCID', `+CCID: ${ICCID}`],
    ['sara', 'AT+CCID', `+CCID: ${ICCID}`],
    ['sim7080', 'AT+CCID', `+CCID: "${ICCID}"`],
    ['quectel', 'AT+QCCID', `+QCCID: ${ICCID}F`],
    ['sim7600', 'AT+CICCID', `+ICCID: ${ICCID}`],
  ];
  for (const [d, cmd, line] of cases) {
    it(`${d}: ${cmd} → ${line.split(':')[0]}`, async () => {
      const { m, at } = modem((c) => (c === cmd ? reply(line, 'OK') : reply('ERROR')));
      expect(await readIccidFor(at, d)).toBe(ICCID);
      expect(m.commands).toEqual([cmd]);
    });
  }

  it('falls back to EF_ICCID (nibble-swapped BCD) when the vendor command fails [TS102.221 §13.2]', async () => {
    const { m, at } = modem((c) => (c === 'AT+CRSM=176,12258,0,0,10' ? reply('+CRSM: 144,0,"9864102143000010F0FF"', 'OK') : reply('+CME ERROR: 4')));
    expect(await readIccidFor(at, 'sim7600')).toBe(ICCID);
    expect(m.commands).toEqual(['AT+CICCID', 'AT+CRSM=176,12258,0,0,10']);
  });

  it('ignores another vendor\'s prefix and fails with SIM_NOT_READY when EF_ICCID is unreadable too', async () => {
    const { at } = modem((c) => (c === 'AT+QCCID' ? reply('+CGSN: 490154203237518', 'OK') : reply('+CRSM: 106,130', 'OK')));
    await expect(readIccidFor(at, 'quectel')).rejects.toMatchObject({ code: 'SIM_NOT_READY' });
  });

  it('refuses an unknown dialect with TypeError', () => {
    const { at } = modem(() => OK);
    expect(() => readIccidFor(at, 'nokia' as Dialect)).toThrow(TypeError);
  });
});

describe('home PLMN and roaming [TS23.003 §2.2]', () => {
  it('reads the MNC length from EF_AD byte 4 (low nibble)', () => {
    expect(mncLengthFromEfAd('00000003')).toBe(3);
    expect(mncLengthFromEfAd('00FFFF02')).toBe(2);
    expect(mncLengthFromEfAd('000000')).toBeUndefined(); // 3-byte EF_AD of old SIMs
    expect(mncLengthFromEfAd('0000000F')).toBeUndefined();
    expect(homePlmn(IMSI, 3)).toBe('310150');
    expect(homePlmn('240011234000001', 2)).toBe('24001');
  });

  it('roams on stat 5, or on stat 1 in a PLMN other than home', () => {
    expect(isRoaming(5, '310150', IMSI, '310150')).toBe(true);
    expect(isRoaming(1, '310150', IMSI, '310150')).toBe(false);
    expect(isRoaming(1, '310260', IMSI, '310150')).toBe(true); // national roaming reported as home
    expect(isRoaming(1, '31015', IMSI, '310150')).toBe(true); // same digits, other MNC length
    expect(isRoaming(1, '310150', IMSI, undefined)).toBe(false); // no EF_AD: compare by the serving MNC length
    expect(isRoaming(1, '24405', IMSI, undefined)).toBe(true);
  });
});

describe('attach with a dialect and home-PLMN roaming', () => {
  const script = (cops: string, efAd: string | undefined): Script => (c, m) => {
    switch (c) {
      case 'ATE0': case 'AT+CFUN=1': case 'AT+COPS=3,2': case 'AT+CGATT=1': case 'AT+CEREG=2': return OK;
      case 'AT+CPIN?': return reply('+CPIN: READY', 'OK');
      case 'AT+CIMI': return reply(IMSI, 'OK');
      case 'AT+QCCID': return reply(`+QCCID: ${ICCID}`, 'OK');
      case 'AT+CRSM=176,28589,0,0,4': return efAd ? reply(`+CRSM: 144,0,"${efAd}"`, 'OK') : reply('+CME ERROR: 4');
      case 'AT+CEREG?':
        queueMicrotask(() => m.urc('+CEREG: 1,"0A01","01A2D101",7'));
        return reply('+CEREG: 2,2', 'OK');
      case 'AT+COPS?': return reply(`+COPS: 0,2,"${cops}",7`, 'OK');
      default: return reply('ERROR');
    }
  };

  it('stat 1 in a visited PLMN is roaming, with the home PLMN from EF_AD', async () => {
    const { m, at } = modem(script('310260', '00000003'));
    const info = await attach(at, nodePlatform, { dialect: 'quectel', homePlmn: true });
    expect(info).toMatchObject({ imsi: IMSI, iccid: ICCID, plmn: '310260', home: '310150', roaming: true });
    expect(m.commands.slice(3, 6)).toEqual(['AT+CIMI', 'AT+QCCID', 'AT+CRSM=176,28589,0,0,4']);
  });

  it('stat 1 at home is not roaming; without EF_AD the serving MNC length decides', async () => {
    const { at } = modem(script('310150', undefined));
    const info = await attach(at, nodePlatform, { dialect: 'quectel', homePlmn: true });
    expect(info.roaming).toBe(false);
    expect(info.home).toBeUndefined();
  });

  it('without homePlmn nothing extra is read (backwards compatible)', async () => {
    const { m, at } = modem(script('310260', '00000003'));
    const info = await attach(at, nodePlatform, { dialect: 'quectel' });
    expect(info.roaming).toBe(false);
    expect(m.commands).not.toContain('AT+CRSM=176,28589,0,0,4');
    expect(() => attach(at, nodePlatform, { dialect: 'x' as Dialect })).toThrow(TypeError);
  });
});
