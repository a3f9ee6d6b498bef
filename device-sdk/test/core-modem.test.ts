// The generic 27.007 attach sequence against a modem scripted in the test (over an in-memory pair;
// the hardware/ emulator has its own contract suite), plus the reply parsers it relies on.
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import { iccidFromEf, parseCereg, parseCops, parseIccid } from '../src/core/cereg.js';
import { attach, detach, watchRegistration } from '../src/core/modem.js';
import type { Registration } from '../src/core/cereg.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { memoryPair, OK, reply, ScriptedModem, type Script } from './core-pair.js';

const IMSI = '240011234000001';
const ICCID = '89460112340000010';

interface ModemState {
  cpin: string;
  pin?: string;
  /** +CEREG URC the network sends once registered (undefined: none). */
  urc?: string;
  /** Send it before the OK of AT+CEREG=2 ('set') or after answering AT+CEREG? ('read', default). */
  urcWhen?: 'set' | 'read';
  /** What the read form reports. */
  cereg: string;
  cops: string;
  ccid?: boolean;
}

/** A 27.007 modem good enough for the attach sequence. */
function scriptFor(s: ModemState): Script {
  return (cmd, m) => {
    switch (cmd) {
      case 'ATE0': case 'AT+CFUN=1': case 'AT+CFUN=0': case 'AT+COPS=3,2': case 'AT+CGATT=1': return OK;
      case 'AT+CPIN?': return reply(`+CPIN: ${s.cpin}`, 'OK');
      case 'AT+CIMI': return reply(IMSI, 'OK');
      case 'AT+CCID': return s.ccid === false ? reply('ERROR') : reply(`+CCID: ${ICCID}`, 'OK');
      // EF_ICCID, nibble-swapped with F padding. [TS102.221 §13.2]
      case 'AT+CRSM=176,12258,0,0,10': return reply('+CRSM: 144,0,"9864102143000010F0FF"', 'OK');
      case 'AT+CEREG=2':
        if (s.urc && s.urcWhen === 'set') m.urc(s.urc);
        return OK;
      case 'AT+CEREG?':
        if (s.urc && s.urcWhen !== 'set') queueMicrotask(() => m.urc(s.urc as string));
        return reply(s.cereg, 'OK');
      case 'AT+COPS?': return reply(s.cops, 'OK');
      default:
        if (cmd === `AT+CPIN="${s.pin}"`) {
          s.cpin = 'READY';
          return OK;
        }
        if (cmd.startsWith('AT+CPIN="')) return reply('+CME ERROR: 16');
        if (cmd.startsWith('AT+CGDCONT=')) return OK;
        return reply('ERROR');
    }
  };
}

function setup(s: ModemState) {
  const [a, b] = memoryPair();
  const modem = new ScriptedModem(b, scriptFor(s));
  const at = new AtEngine(a, nodePlatform, { defaultTimeoutMs: 2000 });
  return { modem, at };
}

const HOME: ModemState = { cpin: 'READY', cereg: '+CEREG: 2,2', urc: '+CEREG: 1,"0A01","01A2D101",7', cops: '+COPS: 0,2,"24001",7' };

describe('attach [TS27.007]', () => {
  it('runs the sequence and waits for the +CEREG URC (home)', async () => {
    const { modem, at } = setup({ ...HOME });
    const sims: string[] = [];
    const info = await attach(at, nodePlatform, { apn: 'iot.example', onSim: (imsi, iccid) => sims.push(`${imsi}/${iccid}`) });
    expect(info).toEqual({ imsi: IMSI, iccid: ICCID, plmn: '24001', cell: '01A2D101', tac: '0A01', ci: '01A2D101', roaming: false });
    expect(sims).toEqual([`${IMSI}/${ICCID}`]);
    expect(modem.commands).toEqual([
      'ATE0', 'AT+CFUN=1', 'AT+CPIN?', 'AT+CIMI', 'AT+CCID', 'AT+CGDCONT=1,"IP","iot.example"',
      'AT+CEREG=2', 'AT+CEREG?', 'AT+COPS=3,2', 'AT+COPS?', 'AT+CGATT=1',
    ]);
  });

  it('takes a +CEREG URC that arrives before the OK of AT+CEREG=2, without polling', async () => {
    const { modem, at } = setup({ ...HOME, urcWhen: 'set' });
    const info = await attach(at, nodePlatform);
    expect(info.cell).toBe('01A2D101');
    expect(modem.commands).not.toContain('AT+CEREG?');
  });

  it('takes the registration from AT+CEREG? when the URC came earlier (roaming, stat 5)', async () => {
    const { at } = setup({ cpin: 'READY', cereg: '+CEREG: 2,5,"0C03","02C4F301",7', cops: '+COPS: 0,2,"24405",7' });
    const info = await attach(at, nodePlatform);
    expect(info).toMatchObject({ plmn: '24405', cell: '02C4F301', tac: '0C03', roaming: true });
  });

  it('unlocks a SIM PIN with the given pin [TS27.007 §8.3]', async () => {
    const { modem, at } = setup({ ...HOME, cpin: 'SIM PIN', pin: '1234' });
    await attach(at, nodePlatform, { pin: '1234' });
    expect(modem.commands.slice(2, 5)).toEqual(['AT+CPIN?', 'AT+CPIN="1234"', 'AT+CPIN?']);
  });

  it('fails with SIM_NOT_READY when the SIM wants a PIN and none is given', async () => {
    const { modem, at } = setup({ ...HOME, cpin: 'SIM PIN' });
    await expect(attach(at, nodePlatform)).rejects.toMatchObject({ code: 'SIM_NOT_READY', detail: 'SIM PIN required' });
    expect(modem.commands).not.toContain('AT+CIMI');
  });

  it('fails with SIM_NOT_READY for a wrong PIN (+CME ERROR: 16 is not retried)', async () => {
    const { at } = setup({ ...HOME, cpin: 'SIM PIN', pin: '1234' });
    await expect(attach(at, nodePlatform, { pin: '9999' })).rejects.toMatchObject({ code: 'AT_CME_ERROR', detail: '16' });
  });

  it('reads the ICCID from EF_ICCID when AT+CCID is not supported', async () => {
    const { modem, at } = setup({ ...HOME, ccid: false });
    const info = await attach(at, nodePlatform);
    expect(info.iccid).toBe(ICCID);
    expect(modem.commands).toContain('AT+CRSM=176,12258,0,0,10');
  });

  it('fails with NOT_REGISTERED when registration does not come in time', async () => {
    const { modem, at } = setup({ cpin: 'READY', cereg: '+CEREG: 2,2', cops: '+COPS: 0' });
    await expect(attach(at, nodePlatform, { registerTimeoutMs: 50 })).rejects.toMatchObject({ code: 'NOT_REGISTERED' });
    expect(modem.commands).not.toContain('AT+CGATT=1');
  });

  it('fails at once with NOT_REGISTERED when registration is denied (stat 3)', async () => {
    const { at } = setup({ cpin: 'READY', cereg: '+CEREG: 2,2', urc: '+CEREG: 3', cops: '+COPS: 0' });
    await expect(attach(at, nodePlatform, { registerTimeoutMs: 60_000 })).rejects.toMatchObject({ code: 'NOT_REGISTERED', detail: 'registration denied' });
  });

  it('rejects a malformed pin or apn with TypeError before talking to the modem', () => {
    const { at } = setup({ ...HOME });
    expect(() => attach(at, nodePlatform, { pin: '12a4' })).toThrow(TypeError);
    expect(() => attach(at, nodePlatform, { apn: 'x","IP' })).toThrow(TypeError);
  });
});

describe('watchRegistration and detach', () => {
  it('reports registration URCs after attach and stops when asked', async () => {
    const { modem, at } = setup({ ...HOME });
    await attach(at, nodePlatform);
    const seen: Registration[] = [];
    const stop = watchRegistration(at, (r) => seen.push(r));
    const got = new Promise<void>((resolve) => at.onUrc('+CEREG:', () => resolve()));
    modem.urc('+CEREG: 5,"0C03","02C4F301",7');
    await got;
    expect(seen).toEqual([{ stat: 5, tac: '0C03', ci: '02C4F301', act: 7, roaming: true }]);
    stop();
    await detach(at);
    expect(modem.commands[modem.commands.length - 1]).toBe('AT+CFUN=0');
  });
});

describe('reply parsers', () => {
  it('tells the +CEREG URC form from the read form [TS27.007 §10.1.22]', () => {
    expect(parseCereg('+CEREG: 1,"0A01","01A2D101",7', false)).toEqual({ stat: 1, tac: '0A01', ci: '01A2D101', act: 7, roaming: false });
    expect(parseCereg('+CEREG: 2,5,"0C03","02C4F301",9', true)).toEqual({ stat: 5, tac: '0C03', ci: '02C4F301', act: 9, roaming: true });
    expect(parseCereg('+CEREG: 2', false)).toEqual({ stat: 2, tac: '', ci: '', act: undefined, roaming: false });
    expect(parseCereg('+CEREG: 0,4', true)).toMatchObject({ stat: 4 });
  });

  it('returns undefined for malformed lines instead of throwing', () => {
    for (const l of ['+CEREG:', '+CEREG: x', '+CEREG: 1,"ZZ","01"', '+CREG: 1', '+CEREG: 1,"0A01","0123456789",7']) {
      expect(parseCereg(l, false), l).toBeUndefined();
    }
    expect(parseCops('+COPS: 0')).toBeUndefined();
    expect(parseCops('+COPS: 0,0,"Telia",7')).toBeUndefined();
    expect(parseCops('+COPS: 0,2,"24405",7')).toBe('24405');
    expect(parseIccid('+ICCID: 89460112340000010F')).toBe(ICCID);
    expect(parseIccid('+CCID: "89460112340000010"')).toBe(ICCID);
    expect(parseIccid('+CCID: 12')).toBeUndefined();
    expect(iccidFromEf('9864102143000010F0FF')).toBe(ICCID);
    expect(iccidFromEf('98G4')).toBeUndefined();
  });
});
