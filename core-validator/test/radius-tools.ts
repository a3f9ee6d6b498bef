// Test tools for the RADIUS intake: run the real `radclient` (Debian freeradius-utils) with
// attribute lines on stdin, build the 3GPP attribute values it takes as octets, and collect the
// events a server reports.
import { spawn } from 'node:child_process';
import type { AttachEvent, DetachEvent } from '@simedge/device-sdk/wire';
import { encodeUliTaiEcgi, type NasResetEvent, type RadiusSession } from '../src/radius/index.js';
import { downOf, IMSI, type World } from './harness.js';

export interface RadclientResult { code: number | null; out: string }

/** `radclient -x 127.0.0.1:<port> acct <secret>` fed `lines`; -t/-r keep a no-reply case short. */
export function radclient(port: number, secret: string, lines: string[], extra: string[] = ['-t', '1', '-r', '1']): Promise<RadclientResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('radclient', ['-x', ...extra, `127.0.0.1:${port}`, 'acct', secret], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
    p.stdin.end(`${lines.join('\n')}\n`);
  });
}

/** radclient's octets syntax for 3GPP-User-Location-Info type 130 (TAI + ECGI) [TS29.061 §16.4.7.2]. */
export function uliOctets(plmn: string, tac: number, eci: number): string {
  return `0x${Buffer.from(encodeUliTaiEcgi(plmn, tac, eci)).toString('hex')}`;
}

/** The attribute lines of one Accounting-Request, as a PGW would send them. */
export function acctLines(o: { status: 'Start' | 'Interim-Update' | 'Stop'; session: string; imsi?: string; ip?: string; plmn?: string; uli?: string }): string[] {
  return [
    `Acct-Status-Type = ${o.status}`,
    `Acct-Session-Id = "${o.session}"`,
    'NAS-Identifier = "pgw-test"',
    ...(o.ip ? [`Framed-IP-Address = ${o.ip}`] : []),
    ...(o.imsi ? [`3GPP-IMSI = "${o.imsi}"`] : []),
    ...(o.plmn ? [`3GPP-SGSN-MCC-MNC = "${o.plmn}"`] : []),
    ...(o.uli ? [`3GPP-User-Location-Info = ${o.uli}`] : []),
  ];
}

/** An Accounting-On or -Off [RFC2866 §5.1]: no session, the NAS named by NAS-Identifier (and NAS-IP-Address when given). */
export function onOffLines(status: 'Accounting-On' | 'Accounting-Off', nasId?: string, nasIp?: string): string[] {
  return [
    `Acct-Status-Type = ${status}`,
    ...(nasId !== undefined ? [`NAS-Identifier = "${nasId}"`] : []),
    ...(nasIp !== undefined ? [`NAS-IP-Address = ${nasIp}`] : []),
  ];
}

type Ev = { kind: 'attach'; ev: AttachEvent } | { kind: 'detach'; ev: DetachEvent } | { kind: 'reset'; ev: NasResetEvent };

/** Collects attach/detach events (and the session of each attach); `count()` waits for them
 *  (bounded failure guard). `onNasReset` is for a server that reports Accounting-On/Off as such. */
export class Events {
  readonly all: Ev[] = [];
  /** The RADIUS session of each attach, in order. */
  readonly sessions: RadiusSession[] = [];
  private waiters: (() => void)[] = [];
  onAttach = (ev: AttachEvent, session?: RadiusSession): void => { if (session) this.sessions.push(session); this.push({ kind: 'attach', ev }); };
  onDetach = (ev: DetachEvent): void => this.push({ kind: 'detach', ev });
  onNasReset = (ev: NasResetEvent): void => this.push({ kind: 'reset', ev });
  private push(e: Ev): void {
    this.all.push(e);
    for (const w of this.waiters.splice(0)) w();
  }
  async count(n: number, guardMs = 3000): Promise<Ev[]> {
    const deadline = Date.now() + guardMs;
    while (this.all.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} events (have ${this.all.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.all.slice(0, n);
  }
}

/** The device (harness IMSI) attaches through a real radclient Start (session `session`, cell
 *  01A2D101 of PLMN 24001) and provisions `rid` up to its `ready`; returns the `acc`. */
export async function startAndProvision(world: World, port: number, secret: string, rid: string, session = 'pgw-1') {
  const start = await radclient(port, secret, acctLines({
    status: 'Start', session, imsi: IMSI, ip: '127.100.0.7', plmn: '24001', uli: uliOctets('24001', 0x0a01, 0x01a2d101),
  }));
  if (start.code !== 0) throw new Error(`radclient Start failed: ${start.out}`);
  const acc = await world.provision(rid);
  if (acc.t !== 'acc') throw new Error(`expected acc, got ${acc.t}`);
  await world.obs.waitFor(downOf(IMSI, 'ready'), 'device ready');
  return acc;
}
