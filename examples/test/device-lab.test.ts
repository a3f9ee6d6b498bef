// The device lab (examples/device-lab): the whole network for one device of your own on a real
// pseudo-terminal. The firmware script it writes (lab-device.js, for Espruino's Linux build) runs
// here in QuickJS with only Espruino's globals plus the two things the Linux build adds and the
// script uses - require('fs').readFileSync (reading the host's files as 8-bit strings) and
// Serial1.setup by path - and its Serial1 is the PTY itself, opened with `serialport` as Espruino
// would open it (the real interpreter is not packaged here; see device-sdk/README.md). Through the
// lab's real core validator and edge agents it provisions, re-provisions when the lab moves the
// modem into the visited network, survives a cut MQTT link and switches off with its term. The
// command-line entry (npm run lab) is run as a real child process.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import type { DialectName } from '@simedge/hardware';
import { buildFirmwareBundle } from '../../device-sdk/scripts/build-espruino.js';
import { checkEspruinoSubset } from '../../device-sdk/scripts/espruino-subset.js';
import { espruinoVm, type EspruinoVm } from '../../device-sdk/test/espruino-vm.js';
import { startLab, type Lab } from '../device-lab/lab.js';
import { CELLS } from '../network-in-a-box/world.js';

const MAIN = fileURLToPath(new URL('../device-lab/main.ts', import.meta.url));
const VISITED = CELLS.find((c) => c.plmn !== '24001')?.id as string;

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** The Linux build's extras the script uses, reporting to the test: fs.readFileSync and print. */
function linuxBuild(w: EspruinoVm): void {
  const read = w.vm.newFunction('__readFile', (p) => {
    // Bytes as comma-separated char codes (binary strings contain NULs), as the VM's Serial1 does.
    const bytes = readFileSync(w.vm.getString(p!));
    return w.vm.newString(Array.from(bytes).join(','));
  });
  w.vm.setProp(w.vm.global, '__readFile', read);
  read.dispose();
  w.run(`
var require = function (name) {
  if (name !== 'fs') throw new Error('Module ' + name + ' not found');
  return { readFileSync: function (path) { var c = __readFile(path); return c ? String.fromCharCode.apply(null, c.split(',').map(Number)) : ''; } };
};
function print(s) { host('print', String(s)); }
Serial1.setup = function (baud, o) { host('setup', baud + ' ' + o.path); };`);
}

describe('the device lab (npm run lab)', () => {
  // bg96: the SDK's own bundle (the lab's default); the others: a firmware's bundle for that modem
  // family (buildFirmwareBundle, what `simedge espruino build --modem <family>` writes).
  it.each([
    ['bg96', undefined], ['sim7600', 'sim7600'], ['sim7080', 'sim7080'], ['sara-r5', 'sara'],
  ] as Array<[DialectName, string | undefined]>)('[FIG. 2 201-210, patent claim 2] %s: its Espruino script provisions over the PTY, re-provisions in the visited network, survives a cut link, switches off', async (dialect, family) => {
    const dir = mkdtempSync(join(tmpdir(), 'simedge-lab-test-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    let bundle: string | undefined;
    if (family) {
      const b = await buildFirmwareBundle([family]);
      expect(b.violations).toEqual([]);
      bundle = join(dir, 'simedge.min.js');
      writeFileSync(bundle, b.code);
    }
    const lab: Lab = await startLab({ dialect, dir, bundle });
    stops.push(() => lab.stop());
    const script = readFileSync(lab.scriptPath as string, 'utf8');
    expect(checkEspruinoSubset(script)).toEqual([]);
    expect(readFileSync(lab.templatePath).length).toBeGreaterThan(100);

    // The device side of the PTY, opened as the Linux build opens Serial1 by path.
    const port = new SerialPort({ path: lab.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    stops.push(() => new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res())));
    const w = await espruinoVm();
    stops.push(() => w.dispose());
    w.onSerialWrite = (s) => void port.write(Buffer.from(s, 'latin1'));
    port.on('data', (b: Buffer) => w.serialData(b.toString('latin1')));
    linuxBuild(w);
    w.run(script);
    expect(await w.waitEvent('setup', 1000)).toBe(`115200 ${lab.path}`);

    const printed = (kind: string, n = 1): Promise<unknown> => {
      let seen = 0;
      return w.waitEvent('print', 20_000, (t) => t.startsWith(kind + ' ') && ++seen === n).then((t) => JSON.parse(t.slice(kind.length + 1)) as unknown);
    };
    const first = await printed('READY') as { pid: string; edge: string; svc: Array<{ n: string }>; roaming: boolean };
    expect(first).toMatchObject({ edge: 'edge-a', cell: lab.cell(), plmn: '24001', roaming: false });
    expect(first.svc.map((s) => s.n)).toEqual(['fn']);

    // Into the visited network (+CEREG stat 5): a roam provisioning on edge-b, the old one termed.
    lab.move(VISITED);
    expect(await printed('ROAM')).toMatchObject({ cell: VISITED, plmn: '24405', roaming: true });
    const second = await printed('READY', 2) as { pid: string; edge: string };
    expect(second).toMatchObject({ edge: 'edge-b', cell: VISITED, roaming: true });
    expect(second.pid).not.toBe(first.pid);
    expect(await printed('TERM')).toEqual({ t: 'term', pid: first.pid, why: 'roam' });

    // A cut MQTT link: the bundle re-opens it, so the switch-off still reaches the core.
    lab.dropLink();
    w.run('off()');
    expect(await printed('STOPPED')).toEqual([{ t: 'term', pid: second.pid, why: 'bye' }]);
    expect(w.events.filter((e) => e.name === 'print' && e.text.startsWith('ERROR'))).toEqual([]);
    const live = (await lab.world.core.store.provisions({ imsi: lab.imsi })).filter((p) => p.state !== 'REMOVED' && p.state !== 'FAILED' && p.state !== 'FAILED_TEMP');
    expect(live).toEqual([]);
  });

  it('sara-r4: the lab\'s template does not fit the R410M\'s hex publish: MESSAGE_TOO_LARGE at once, no retries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simedge-lab-test-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const b = await buildFirmwareBundle(['sara-r4']);
    const bundle = join(dir, 'simedge.min.js');
    writeFileSync(bundle, b.code);
    const lab: Lab = await startLab({ dialect: 'sara-r4', dir, bundle });
    stops.push(() => lab.stop());
    // The prov is the template (about 420 bytes here) plus about 80; the R410M's hex form carries about 480.
    const port = new SerialPort({ path: lab.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    stops.push(() => new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res())));
    const w = await espruinoVm();
    stops.push(() => w.dispose());
    const sent: string[] = [];
    w.onSerialWrite = (s) => {
      sent.push(s);
      void port.write(Buffer.from(s, 'latin1'));
    };
    port.on('data', (x: Buffer) => w.serialData(x.toString('latin1')));
    linuxBuild(w);
    w.run(readFileSync(lab.scriptPath as string, 'utf8'));
    // onError comes only once the provisioning gave up: with retries that would be after four
    // more hellos and backoff; here the one hello (hex publish) is all that went out.
    expect(await w.waitEvent('print', 20_000, (t) => t.startsWith('ERROR'))).toBe('ERROR MESSAGE_TOO_LARGE');
    expect(sent.join('').split('\r').filter((c) => c.startsWith('AT+UMQTTC=2,'))).toHaveLength(1);
  });

  it('the command line: --help, bad options (exit 2), and a lab that starts, answers status and stops on quit (exit 0)', async () => {
    const run = (args: string[], input = ''): Promise<{ code: number | null; out: string; err: string }> => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, UV_USE_IO_URING: '0' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Commands go in once the lab is up, as a person would type them.
        if (input && out.includes('commands: ')) {
          child.stdin.end(input);
          input = '';
        }
      });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`lab ${args.join(' ')} did not exit; stdout: ${out}; stderr: ${err}`)); }, 30_000);
      child.on('exit', (code) => { clearTimeout(guard); resolve({ code, out, err }); });
      if (!input) child.stdin.end();
    });
    const [help, bad, cell, bundle] = await Promise.all([run(['--help']), run(['--dialect', 'nokia']), run(['--cell', 'nowhere']), run(['--bundle', '/nonexistent/simedge.min.js'])]);
    expect(bundle.code).toBe(2);
    expect(bundle.err).toContain("no bundle at '/nonexistent/simedge.min.js'");
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: npm run lab');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown dialect 'nokia'");
    expect(cell.code).toBe(2);
    expect(cell.err).toContain("unknown cell 'nowhere'");

    const dir = mkdtempSync(join(tmpdir(), 'simedge-lab-cli-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const up = await run(['--dialect', 'sim7080', '--dir', dir, '--quiet'], 'status\nroam\nfly\nquit\n');
    expect(up.code, up.err).toBe(0);
    const generic = await run(['--dialect', 'generic', '--dir', join(dir, 'g'), '--quiet'], 'quit\n');
    expect(generic.code, generic.err).toBe(0);
    expect(generic.out).toContain('no script: a generic modem has no MQTT client');
    expect(existsSync(join(dir, 'g', 'lab-device.js'))).toBe(false);
    expect(existsSync(join(dir, 'g', 'template.cose'))).toBe(true);
    expect(up.out).toMatch(/device lab up: sim7080 modem, IMSI 240011234900001/);
    const path = /serial device +(\S+)/.exec(up.out)?.[1] as string;
    expect(path).toMatch(/ttyEMU0$/);
    expect(up.out).toContain('provisions: none');
    expect(up.out).toContain(`lab: moved to cell ${VISITED} (PLMN 24405, visited; edge-b)`);
    expect(up.out).toContain("lab: unknown command 'fly'");
    expect(readFileSync(join(dir, 'lab-device.js'), 'utf8')).toContain('dialect: "sim7080"');
    expect(existsSync(path)).toBe(false); // the PTY link is gone after quit
  });
});
