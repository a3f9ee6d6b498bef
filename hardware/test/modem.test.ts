// The emulated modem driven with raw AT bytes over an in-memory duplex pair, as a host MCU would.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachEvent, DetachEvent } from '@simedge/device-sdk/wire';
import { ModemEmulator, NetworkSim } from '../src/index.js';
import { CELLS, SIM, rig, type Rig } from './fixtures.js';

let open: Rig[] = [];
function make(o?: Parameters<typeof rig>[0]): Rig {
  const r = rig(o);
  open.push(r);
  return r;
}
afterEach(() => {
  for (const r of open) r.modem.close();
  open = [];
});

/** Radio on with CEREG=2 and wait for the registration URC. */
async function attach(r: Rig): Promise<string> {
  expect(await r.host.cmd('AT+CEREG=2')).toEqual({ lines: [], final: 'OK' });
  expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
  return r.host.next();
}

describe('echo [V.250 §6.2.4]', () => {
  it('echoes the command line by default, and ATE0 (itself echoed) turns it off', async () => {
    const { host } = make();
    expect(await host.cmd('AT')).toEqual({ lines: ['AT'], final: 'OK' });
    expect(await host.cmd('ATE0')).toEqual({ lines: ['ATE0'], final: 'OK' });
    expect(await host.cmd('AT')).toEqual({ lines: [], final: 'OK' });
    expect(host.raw).toBe('AT\r\r\nOK\r\nATE0\r\r\nOK\r\n\r\nOK\r\n');
  });

  it('ATE1 turns echo back on (its own echo is not sent) and ATZ restores the power-up default', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('ATE1')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT')).toEqual({ lines: ['AT'], final: 'OK' });
    expect(await host.cmd('ATE0')).toEqual({ lines: ['ATE0'], final: 'OK' });
    expect(await host.cmd('ATZ')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT')).toEqual({ lines: [], final: 'OK' });
  });

  it('accepts \\r\\n terminators, lower case, and ignores empty lines', async () => {
    const { host } = make({ echo: false });
    host.send('\r\n\r');
    expect(await host.cmd('at+cimi', '\r\n')).toEqual({ lines: [SIM.imsi], final: 'OK' });
    expect(await host.cmd('AT')).toEqual({ lines: [], final: 'OK' });
  });
});

describe('full attach sequence (FIG. 2 steps 201-202)', () => {
  it('reads the SIM, turns the radio on, registers and reports the attach to the network', async () => {
    const r = make();
    const { host, network } = r;
    const attached = once(network, 'attach') as Promise<[AttachEvent]>;
    expect(await host.cmd('ATE0')).toEqual({ lines: ['ATE0'], final: 'OK' });
    expect(await host.cmd('AT+CPIN?')).toEqual({ lines: ['+CPIN: READY'], final: 'OK' });
    expect(await host.cmd('AT+CIMI')).toEqual({ lines: [SIM.imsi], final: 'OK' });
    expect(await host.cmd('AT+CCID')).toEqual({ lines: [`+CCID: ${SIM.iccid}`], final: 'OK' });
    expect(await host.cmd('AT+CGDCONT=1,"IP","iot.example"')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT+CEREG=2')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT+CFUN?')).toEqual({ lines: ['+CFUN: 0'], final: 'OK' });
    expect(r.modem.registered).toBe(false);
    expect(await host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    // [TS27.007 §10.1.22] URC after the OK, with location info for n=2
    expect(await host.next()).toBe('+CEREG: 1,"0A01","01A2D101",7');
    const [ev] = await attached;
    expect(ev).toMatchObject({ imsi: SIM.imsi, plmn: '24405', cell: 'home-1' });
    expect(ev.ip).toMatch(/^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.\d+\.\d+$/);
    expect(r.modem.registered).toBe(true);
    expect(await host.cmd('AT+CGATT=1')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT+CGATT?')).toEqual({ lines: ['+CGATT: 1'], final: 'OK' });
    expect(await host.cmd('AT+COPS=3,2;+COPS?')).toEqual({ lines: ['+COPS: 0,2,"24405",7'], final: 'OK' });
    expect(await host.cmd('AT+CGDCONT?')).toEqual({ lines: ['+CGDCONT: 1,"IP","iot.example","",0,0'], final: 'OK' });
    expect(await host.cmd('AT+CGPADDR=1')).toEqual({ lines: [`+CGPADDR: 1,"${ev.ip}"`], final: 'OK' });
    expect(network.sessions()).toEqual([{ imsi: SIM.imsi, ip: ev.ip, cell: 'home-1' }]);
    // trace: network attach (201) before modem registered (202)
    expect(r.traces.filter((t) => t.step !== undefined).map((t) => [t.step, t.actor, t.ev])).toEqual([
      [201, 'network', 'attach'],
      [202, `modem:${SIM.imsi}`, 'registered'],
    ]);
  });

  it('reports not registered before CFUN=1: COPS?, CGATT?, CGATT=1 (+CME ERROR: 30)', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('AT+COPS?')).toEqual({ lines: ['+COPS: 0'], final: 'OK' });
    expect(await host.cmd('AT+CGATT?')).toEqual({ lines: ['+CGATT: 0'], final: 'OK' });
    expect(await host.cmd('AT+CGATT=1')).toEqual({ lines: [], final: '+CME ERROR: 30' });
    expect(await host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 0,0'], final: 'OK' });
  });

  it('CGATT=0 detaches (detach event, +CEREG: 0) and CGATT=1 attaches again', async () => {
    const r = make({ echo: false });
    await attach(r);
    const detached = once(r.network, 'detach') as Promise<[DetachEvent]>;
    expect(await r.host.cmd('AT+CGATT=0')).toEqual({ lines: [], final: 'OK' });
    expect((await detached)[0].imsi).toBe(SIM.imsi);
    expect(await r.host.next()).toBe('+CEREG: 0');
    expect(r.network.sessions()).toEqual([]);
    const again = once(r.network, 'attach') as Promise<[AttachEvent]>;
    expect(await r.host.cmd('AT+CGATT=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 1,"0A01","01A2D101",7');
    expect((await again)[0].cell).toBe('home-1');
  });
});

describe('AT+CEREG forms [TS27.007 §10.1.22]', () => {
  it('n=1 URC carries only <stat>; the read form puts <n> first', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 1,0'], final: 'OK' });
    expect(await host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    expect(await host.next()).toBe('+CEREG: 1');
    expect(await host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 1,1'], final: 'OK' });
    expect(await host.cmd('AT+CEREG=2;+CEREG?')).toEqual({ lines: ['+CEREG: 2,1,"0A01","01A2D101",7'], final: 'OK' });
  });

  it('n=0 sends no URC, yet the read form shows the registration', async () => {
    const r = make({ echo: false });
    const attached = once(r.network, 'attach');
    expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    await attached;
    // A URC would have been queued before this command's answer.
    expect(await r.host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 0,1'], final: 'OK' });
  });

  it('rejects n outside 0-2 with +CME ERROR: 50 and keeps the old n', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    expect(await host.cmd('AT+CEREG=7')).toEqual({ lines: [], final: '+CME ERROR: 50' });
    expect(await host.cmd('AT+CEREG="1"')).toEqual({ lines: [], final: '+CME ERROR: 50' });
    expect(await host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 1,0'], final: 'OK' });
  });
});

describe('moving and roaming', () => {
  it('a cell of another PLMN gives stat 5 and re-emits attach with the new cell and the same IP', async () => {
    const r = make({ echo: false });
    const first = once(r.network, 'attach') as Promise<[AttachEvent]>;
    await attach(r);
    const [home] = await first;
    const second = once(r.network, 'attach') as Promise<[AttachEvent]>;
    r.modem.moveTo('visited');
    const [roam] = await second;
    expect(roam).toMatchObject({ imsi: SIM.imsi, plmn: '24001', cell: 'visited', ip: home.ip });
    expect(await r.host.next()).toBe('+CEREG: 5,"0B01","2B3E201",7');
    expect(r.modem.cellId).toBe('visited');
    expect(await r.host.cmd('AT+COPS=3,2;+COPS?')).toEqual({ lines: ['+COPS: 0,2,"24001",7'], final: 'OK' });
    r.modem.moveTo('home-1');
    expect(await r.host.next()).toBe('+CEREG: 1,"0A01","01A2D101",7');
  });

  it('n=2 reports a handover inside the home PLMN; n=1 does not (stat unchanged)', async () => {
    const r = make({ echo: false });
    await attach(r);
    r.modem.moveTo('home-2');
    expect(await r.host.next()).toBe('+CEREG: 1,"0A02","01A2D102",7');
    expect(await r.host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    const moved = once(r.network, 'attach') as Promise<[AttachEvent]>;
    r.modem.moveTo('home-1');
    expect((await moved)[0].cell).toBe('home-1');
    expect(await r.host.cmd('AT')).toEqual({ lines: [], final: 'OK' });
  });

  it('an equivalent home PLMN (EF_EHPLMN [TS31.102 §4.2.84]) is reported as home: stat 1 in the visited PLMN', async () => {
    const r = make({ echo: false, sim: { ...SIM, ehplmn: ['24001'] } });
    expect(await attach(r)).toBe('+CEREG: 1,"0A01","01A2D101",7');
    const moved = once(r.network, 'attach') as Promise<[AttachEvent]>;
    r.modem.moveTo('visited');
    expect((await moved)[0]).toMatchObject({ plmn: '24001', cell: 'visited' });
    // [TS27.007 §10.1.22] n=2: the location changed, <stat> stays 1 (home).
    expect(await r.host.next()).toBe('+CEREG: 1,"0B01","2B3E201",7');
    expect(await r.host.cmd('AT+COPS=3,2;+COPS?')).toEqual({ lines: ['+COPS: 0,2,"24001",7'], final: 'OK' });
    // Only the listed PLMN: the 3-digit-MNC network is still roaming.
    r.modem.moveTo('us');
    expect(await r.host.next()).toBe('+CEREG: 5,"1C01","0C4F3011",7');
    expect(() => new ModemEmulator({ sim: { ...SIM, ehplmn: ['2400'] }, network: r.network, cell: 'home-1' })).toThrow(RangeError);
  });

  it('honours a 3-digit MNC: IMSI 310410... is at home on PLMN 310410', async () => {
    const r = make({ echo: false, sim: { imsi: '310410123456789', iccid: '89014103211118510720', mncLength: 3 }, cell: 'us' });
    expect(await attach(r)).toBe('+CEREG: 1,"1C01","0C4F3011",7');
    expect(await r.host.cmd('AT+CRSM=176,28589,0,0,4')).toEqual({ lines: ['+CRSM: 144,0,"00000003"'], final: 'OK' });
  });

  it('moving while not registered changes the cell only; unknown cells throw RangeError', () => {
    const r = make();
    let events = 0;
    r.network.on('attach', () => events++);
    r.modem.moveTo('visited');
    expect(r.modem.cellId).toBe('visited');
    expect(() => r.modem.moveTo('nowhere')).toThrow(RangeError);
    expect(r.modem.cellId).toBe('visited');
    expect(events).toBe(0);
  });
});

describe('radio off and power off', () => {
  it('CFUN=0 deregisters: detach event, +CEREG: 0 after the OK, CFUN? 0', async () => {
    const r = make({ echo: false });
    await attach(r);
    const detached = once(r.network, 'detach') as Promise<[DetachEvent]>;
    expect(await r.host.cmd('AT+CFUN=0')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 0');
    expect((await detached)[0]).toMatchObject({ imsi: SIM.imsi });
    expect(r.modem.registered).toBe(false);
    expect(await r.host.cmd('AT+CFUN?')).toEqual({ lines: ['+CFUN: 0'], final: 'OK' });
    expect(await r.host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 2,0'], final: 'OK' });
  });

  it('CFUN=4 (flight mode) detaches too; CFUN=5 is +CME ERROR: 50', async () => {
    const r = make({ echo: false });
    await attach(r);
    const detached = once(r.network, 'detach');
    expect(await r.host.cmd('AT+CFUN=4')).toEqual({ lines: [], final: 'OK' });
    await detached;
    expect(await r.host.cmd('AT+CFUN=5')).toEqual({ lines: ['+CEREG: 0'], final: '+CME ERROR: 50' });
    expect(await r.host.cmd('AT+CFUN?')).toEqual({ lines: ['+CFUN: 4'], final: 'OK' });
  });

  it('close() powers off: the network gets the detach event', async () => {
    const r = make({ echo: false });
    await attach(r);
    const detached = once(r.network, 'detach');
    r.modem.close();
    await detached;
    expect(r.network.sessions()).toEqual([]);
  });
});

describe('SIM PIN [TS27.007 §8.3]', () => {
  it('locked SIM: CPIN? SIM PIN, CIMI +CME ERROR: 11, no registration until unlocked', async () => {
    const r = make({ echo: false, sim: { ...SIM, pin: '1234' } });
    expect(await r.host.cmd('AT+CPIN?')).toEqual({ lines: ['+CPIN: SIM PIN'], final: 'OK' });
    expect(await r.host.cmd('AT+CIMI')).toEqual({ lines: [], final: '+CME ERROR: 11' });
    // ICCID stays readable: EF_ICCID needs no PIN [TS102.221 §13.2]
    expect(await r.host.cmd('AT+CCID')).toEqual({ lines: [`+CCID: ${SIM.iccid}`], final: 'OK' });
    expect(await r.host.cmd('AT+CEREG=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CFUN=1')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CEREG?')).toEqual({ lines: ['+CEREG: 1,0'], final: 'OK' });
    expect(await r.host.cmd('AT+CGATT=1')).toEqual({ lines: [], final: '+CME ERROR: 11' });
    expect(r.network.sessions()).toEqual([]);
    expect(await r.host.cmd('AT+CPIN="0000"')).toEqual({ lines: [], final: '+CME ERROR: 16' });
    const attached = once(r.network, 'attach');
    expect(await r.host.cmd('AT+CPIN="1234"')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 1');
    await attached;
    expect(await r.host.cmd('AT+CPIN?')).toEqual({ lines: ['+CPIN: READY'], final: 'OK' });
    expect(await r.host.cmd('AT+CIMI')).toEqual({ lines: [SIM.imsi], final: 'OK' });
    // nothing waits for a PIN any more [TS27.007 §9.2.1 code 3]
    expect(await r.host.cmd('AT+CPIN="1234"')).toEqual({ lines: [], final: '+CME ERROR: 3' });
  });

  it('three wrong PINs block the SIM (SIM PUK); the PUK sets a new PIN', async () => {
    const r = make({ echo: false, sim: { ...SIM, pin: '1234', puk: '12345678' } });
    for (let i = 0; i < 3; i++) expect((await r.host.cmd('AT+CPIN="9999"')).final).toBe('+CME ERROR: 16');
    expect(await r.host.cmd('AT+CPIN?')).toEqual({ lines: ['+CPIN: SIM PUK'], final: 'OK' });
    expect(await r.host.cmd('AT+CIMI')).toEqual({ lines: [], final: '+CME ERROR: 12' });
    expect(await r.host.cmd('AT+CPIN="1234"')).toEqual({ lines: [], final: '+CME ERROR: 12' });
    expect(await r.host.cmd('AT+CPIN="87654321","4321"')).toEqual({ lines: [], final: '+CME ERROR: 16' });
    expect(await r.host.cmd('AT+CPIN="12345678","4321"')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CPIN?')).toEqual({ lines: ['+CPIN: READY'], final: 'OK' });
  });

  it('EF_IMSI via AT+CRSM needs the PIN; EF_ICCID does not [TS31.102 §4.2.2]', async () => {
    const r = make({ echo: false, sim: { ...SIM, pin: '1234' } });
    expect(await r.host.cmd('AT+CRSM=176,28423,0,0,9')).toEqual({ lines: ['+CRSM: 105,130'], final: 'OK' });
    expect(await r.host.cmd('AT+CRSM=176,12258,0,0,10')).toEqual({ lines: ['+CRSM: 144,0,"985308153254769810F2"'], final: 'OK' });
    expect(await r.host.cmd('AT+CPIN="1234"')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CRSM=176,28423,0,0,9')).toEqual({ lines: ['+CRSM: 144,0,"082944502143658709"'], final: 'OK' });
    expect(await r.host.cmd('AT+CRSM=176,12345,0,0,4')).toEqual({ lines: ['+CRSM: 106,130'], final: 'OK' });
  });
});

describe('errors', () => {
  it('unknown commands, malformed lines and bad parameters', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('AT+FOO')).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('ATX')).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('hello')).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('AT+CGDCONT=1,"IP,"x"')).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('AT+CFUN')).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('AT+CGDCONT=1,"IP","bad apn!"')).toEqual({ lines: [], final: '+CME ERROR: 50' });
    expect(await host.cmd('AT+COPS=1,2,"24001"')).toEqual({ lines: [], final: '+CME ERROR: 4' });
    expect(await host.cmd('AT')).toEqual({ lines: [], final: 'OK' });
  });

  it('a failing command ends a concatenated line; earlier responses are still sent', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('AT+CFUN?;+FOO;+CFUN=1')).toEqual({ lines: ['+CFUN: 0'], final: 'ERROR' });
    expect(await host.cmd('AT+CFUN?')).toEqual({ lines: ['+CFUN: 0'], final: 'OK' });
  });

  it('AT+CMEE selects plain, numeric or verbose errors [TS27.007 §9.1]', async () => {
    const { host } = make({ echo: false, sim: { ...SIM, pin: '1234' } });
    expect(await host.cmd('AT+CMEE?')).toEqual({ lines: ['+CMEE: 1'], final: 'OK' });
    expect(await host.cmd('AT+CMEE=2;+CIMI')).toEqual({ lines: [], final: '+CME ERROR: SIM PIN required' });
    expect(await host.cmd('AT+CMEE=0;+CIMI')).toEqual({ lines: [], final: 'ERROR' });
  });

  it('an over-long line is discarded and answered with ERROR; the next line works', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd(`AT+CGDCONT=1,"IP","${'a'.repeat(3000)}"`)).toEqual({ lines: [], final: 'ERROR' });
    expect(await host.cmd('AT+CGDCONT?')).toEqual({ lines: [], final: 'OK' });
  });

  it('rejects bad construction arguments', () => {
    const network = new NetworkSim({ cells: CELLS });
    expect(() => new ModemEmulator({ sim: SIM, network, cell: 'nowhere' })).toThrow(RangeError);
    expect(() => new ModemEmulator({ sim: { imsi: '12ab', iccid: SIM.iccid }, network, cell: 'home-1' })).toThrow(RangeError);
    expect(() => new ModemEmulator({ sim: SIM, network, cell: 'home-1', imei: '1' })).toThrow(RangeError);
  });
});

describe('AT+COPS [TS27.007 §7.3] and PDP contexts [TS27.007 §10.1.1]', () => {
  it('COPS=2 deregisters until COPS=0; COPS=? lists the PLMNs on air', async () => {
    const r = make({ echo: false });
    await attach(r);
    const detached = once(r.network, 'detach');
    expect(await r.host.cmd('AT+COPS=2')).toEqual({ lines: [], final: 'OK' });
    await detached;
    expect(await r.host.next()).toBe('+CEREG: 0');
    expect(await r.host.cmd('AT+COPS?')).toEqual({ lines: ['+COPS: 2'], final: 'OK' });
    expect(await r.host.cmd('AT+COPS=0')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.next()).toBe('+CEREG: 1,"0A01","01A2D101",7');
    expect(await r.host.cmd('AT+COPS=?')).toEqual({
      lines: ['+COPS: (2,"24405","24405","24405",7),(1,"24001","24001","24001",7),(1,"310410","310410","310410",7),,(0-3),(0-2)'],
      final: 'OK',
    });
  });

  it('CGDCONT stores, lists and deletes contexts; CGPADDR shows the address only while registered', async () => {
    const r = make({ echo: false });
    expect(await r.host.cmd('AT+CGDCONT=2,"IPV4V6","b.example";+CGDCONT=1,"ip","a"')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CGDCONT?')).toEqual({ lines: ['+CGDCONT: 1,"IP","a","",0,0', '+CGDCONT: 2,"IPV4V6","b.example","",0,0'], final: 'OK' });
    expect(await r.host.cmd('AT+CGPADDR')).toEqual({ lines: ['+CGPADDR: 1', '+CGPADDR: 2'], final: 'OK' });
    expect(await r.host.cmd('AT+CGDCONT=2')).toEqual({ lines: [], final: 'OK' });
    expect(await r.host.cmd('AT+CGDCONT?')).toEqual({ lines: ['+CGDCONT: 1,"IP","a","",0,0'], final: 'OK' });
    expect(await r.host.cmd('AT+CGDCONT=16,"IP","a"')).toEqual({ lines: [], final: '+CME ERROR: 50' });
    expect(await r.host.cmd('AT+CGDCONT=1,"X25","a"')).toEqual({ lines: [], final: '+CME ERROR: 50' });
  });
});

describe('identity', () => {
  it('ATI and AT+CGMI/CGMM/CGMR name the emulator', async () => {
    const { host } = make({ echo: false });
    expect(await host.cmd('ATI')).toEqual({ lines: ['simedge', 'EMU-27007', 'Revision: 0.1.0'], final: 'OK' });
    expect(await host.cmd('AT+CGMI;+CGMM;+CGMR')).toEqual({ lines: ['simedge', 'EMU-27007', '0.1.0'], final: 'OK' });
  });

  it('AT+CGSN returns a Luhn-valid IMEI, bare and with <snt>=1', async () => {
    const { host } = make({ echo: false });
    const { lines } = await host.cmd('AT+CGSN');
    const imei = lines[0] as string;
    expect(imei).toMatch(/^[0-9]{15}$/);
    const sum = [...imei].reverse().map(Number).reduce((s, d, i) => s + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
    expect(sum % 10).toBe(0);
    expect(await host.cmd('AT+CGSN=1')).toEqual({ lines: [`+CGSN: "${imei}"`], final: 'OK' });
  });
});
