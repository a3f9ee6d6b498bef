// RADIUS accounting export of the network simulator: what a PGW/SMF sends to the core for FIG. 2
// steps 201 and 208. Listens to a NetworkSim's 'attach' / 'detach' events and sends
// Accounting-Request Start (first attach), Interim-Update (location or address change) and Stop
// (detach) [RFC2866] with the 3GPP attributes of [TS29.061 §16.4.7], retransmitting each until
// an Accounting-Response with a valid Response Authenticator arrives (bounded). Requests of one
// IMSI go out strictly in order, so a Stop never overtakes its Start.
// Deliberately self-contained (its own small encoder): the simulator stands for a real network
// element and shares no code with the core it talks to.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { AttachEvent, DetachEvent } from '@simedge/device-sdk/wire';
import type { NetworkSim } from './network.js';

export interface AccountingExportOptions {
  host: string;
  port: number;
  secret: string;
  /** Wait this long for a response before retransmitting (default 250 ms). */
  timeoutMs?: number;
  /** Retransmissions after the first send (default 4); then the record is counted as failed. */
  retries?: number;
  /** NAS-Identifier [RFC2865 §5.32] (default 'simedge-netsim'). */
  nasId?: string;
  /** Told about records that could not be delivered or encoded. */
  onError?: (err: Error) => void;
  /** Report only these IMSIs (default all): e.g. to stage a session the core never hears of. */
  only?: (imsi: string) => boolean;
}

export interface AccountingExportStats { sent: number; retransmitted: number; answered: number; failed: number }

export interface AccountingExport {
  readonly stats: AccountingExportStats;
  /** Resolves when every record so far is answered or has failed. */
  idle(): Promise<void>;
  /** Resolves when every record so far for this IMSI is answered or has failed: a NetworkSim
   *  attach gate, so the modem confirms registration only after the core heard of it. */
  reported(imsi: string): Promise<void>;
  /** Stop listening to the simulator, give up on outstanding records, close the socket. */
  close(): Promise<void>;
}

// [RFC2865 §5] [RFC2866 §5] attribute types and [RFC2866 §5.1] status values
const FRAMED_IP_ADDRESS = 8;
const NAS_IDENTIFIER = 32;
const ACCT_STATUS_TYPE = 40;
const ACCT_SESSION_ID = 44;
const EVENT_TIMESTAMP = 55; // [RFC2869 §5.3]
const VENDOR_SPECIFIC = 26;
const START = 1;
const STOP = 2;
const INTERIM_UPDATE = 3;
// [TS29.061 §16.4.7.2] vendor 10415 sub-attributes
const VENDOR_3GPP = 10415;
const TGPP_IMSI = 1;
const TGPP_SGSN_MCC_MNC = 18;
const TGPP_USER_LOCATION_INFO = 22;
const GEO_TAI_ECGI = 130;

type Attr = [type: number, value: Uint8Array];

const utf8 = (s: string) => new TextEncoder().encode(s);
const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; };
const md5 = (...p: Uint8Array[]) => { const h = createHash('md5'); for (const x of p) h.update(x); return new Uint8Array(h.digest()); };

function vsa(type: number, value: Uint8Array): Attr {
  const v = new Uint8Array(6 + value.length);
  v.set(u32(VENDOR_3GPP), 0);
  v[4] = type;
  v[5] = value.length + 2;
  v.set(value, 6);
  return [VENDOR_SPECIFIC, v];
}

/** [TS29.274 §8.21.4] MCC/MNC as 3 BCD octets, MNC digit 3 = F for a 2-digit MNC. */
function plmnBcd(plmn: string): Uint8Array {
  const d = [...plmn].map(Number);
  const mnc3 = d.length === 6 ? d[5]! : 0xf;
  return Uint8Array.of((d[1]! << 4) | d[0]!, (mnc3 << 4) | d[2]!, (d[4]! << 4) | d[3]!);
}

/** [TS29.061 §16.4.7.2] User-Location-Info type 130: TAI (PLMN, TAC) + ECGI (PLMN, 28-bit ECI). */
function uliTaiEcgi(plmn: string, tac: string, ci: string): Uint8Array {
  const eci = parseInt(ci, 16);
  if (!(eci >= 0 && eci <= 0x0fffffff)) throw new RangeError(`cell identity ${ci} does not fit the 28-bit ECI`);
  const p = plmnBcd(plmn);
  const v = new Uint8Array(13);
  v[0] = GEO_TAI_ECGI;
  v.set(p, 1);
  v.set([parseInt(tac, 16) >> 8, parseInt(tac, 16) & 0xff], 4);
  v.set(p, 6);
  v.set(u32(eci), 9);
  return v;
}

/** [RFC2866 §3] Accounting-Request with its Request Authenticator. */
function request(id: number, attrs: Attr[], secret: string): Uint8Array {
  const body = Buffer.concat(attrs.map(([t, v]) => Buffer.concat([Uint8Array.of(t, v.length + 2), v])));
  const pkt = new Uint8Array(20 + body.length);
  pkt.set([4, id, pkt.length >> 8, pkt.length & 0xff], 0);
  pkt.set(body, 20);
  pkt.set(md5(pkt, utf8(secret)), 4);
  return pkt;
}

/** [RFC2866 §3] an Accounting-Response to `req`, with a valid Response Authenticator. */
function answers(res: Uint8Array, req: Uint8Array, secret: string): boolean {
  if (res.length < 20 || res[0] !== 5 || res[1] !== req[1]) return false;
  const len = (res[2]! << 8) | res[3]!;
  if (len < 20 || len > res.length) return false;
  const copy = Uint8Array.from(res.subarray(0, len));
  copy.set(req.subarray(4, 20), 4);
  return timingSafeEqual(md5(copy, utf8(secret)), res.subarray(4, 20));
}

interface Open { session: string; cell: string; ip: string }
interface Pending { req: Uint8Array; done(ok: boolean): void }

export function exportAccounting(network: NetworkSim, opts: AccountingExportOptions): AccountingExport {
  if (typeof opts.secret !== 'string' || opts.secret.length === 0) throw new TypeError('exportAccounting: secret must be a non-empty string');
  const timeoutMs = opts.timeoutMs ?? 250;
  const retries = opts.retries ?? 4;
  const nasId = utf8(opts.nasId ?? 'simedge-netsim');
  const stats: AccountingExportStats = { sent: 0, retransmitted: 0, answered: 0, failed: 0 };
  const sock = createSocket('udp4');
  const open = new Map<string, Open>();
  const chains = new Map<string, Promise<void>>();
  const pending = new Map<number, Pending>();
  const idWaiters: (() => void)[] = [];
  let nextId = 0;
  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];
  let closed = false;
  const sessionPrefix = randomBytes(4).toString('hex');
  let sessions = 0;

  sock.on('message', (msg) => {
    const p = pending.get(msg[1]!);
    if (p && answers(new Uint8Array(msg), p.req, opts.secret)) p.done(true);
  });
  sock.on('error', (e) => opts.onError?.(e));

  const freeId = async (): Promise<number> => {
    // 256 identifiers per socket [RFC2865 §3]: wait for one to come free.
    while (pending.size >= 256) await new Promise<void>((r) => idWaiters.push(r));
    while (pending.has(nextId)) nextId = (nextId + 1) & 0xff;
    return nextId;
  };

  /** Send one record and retransmit the same bytes until answered or out of retries. */
  const exchange = async (attrs: Attr[]): Promise<void> => {
    if (closed) return;
    const id = await freeId();
    if (closed) return;
    const req = request(id, attrs, opts.secret);
    const ok = await new Promise<boolean>((resolve) => {
      let left = retries;
      let timer: NodeJS.Timeout | undefined;
      const send = () => { if (!closed) sock.send(req, opts.port, opts.host); };
      const entry: Pending = {
        req,
        done: (answered) => {
          clearTimeout(timer);
          pending.delete(id);
          idWaiters.shift()?.();
          resolve(answered);
        },
      };
      pending.set(id, entry);
      const arm = () => {
        timer = setTimeout(() => {
          if (left-- <= 0 || closed) return entry.done(false);
          stats.retransmitted++;
          send();
          arm();
        }, timeoutMs);
      };
      stats.sent++;
      send();
      arm();
    });
    if (ok) stats.answered++;
    else {
      stats.failed++;
      if (!closed) opts.onError?.(new Error(`accounting record not answered after ${retries + 1} sends`));
    }
  };

  /** Queue a record behind the IMSI's earlier ones. */
  const enqueue = (imsi: string, attrs: () => Attr[]): void => {
    inFlight++;
    const prev = chains.get(imsi) ?? Promise.resolve();
    const next = prev.then(() => exchange(attrs())).catch((e: unknown) => {
      stats.failed++;
      opts.onError?.(e instanceof Error ? e : new Error(String(e)));
    }).finally(() => {
      if (chains.get(imsi) === next) chains.delete(imsi);
      if (--inFlight === 0) for (const w of idleWaiters.splice(0)) w();
    });
    chains.set(imsi, next);
  };

  const onAttach = (e: AttachEvent): void => {
    if (opts.only && !opts.only(e.imsi)) return;
    const was = open.get(e.imsi);
    if (was && was.cell === e.cell && was.ip === e.ip) return; // same place: nothing to report
    const session = was?.session ?? `${sessionPrefix}-${(++sessions).toString(16)}`;
    open.set(e.imsi, { session, cell: e.cell, ip: e.ip });
    const status = was ? INTERIM_UPDATE : START;
    let uli: Uint8Array;
    try {
      const c = network.cell(e.cell);
      uli = uliTaiEcgi(c.plmn, c.tac, c.ci);
    } catch (err) {
      stats.failed++;
      opts.onError?.(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    enqueue(e.imsi, () => [
      [ACCT_STATUS_TYPE, u32(status)],
      [ACCT_SESSION_ID, utf8(session)],
      [NAS_IDENTIFIER, nasId],
      [FRAMED_IP_ADDRESS, Uint8Array.from(e.ip.split('.').map(Number))],
      [EVENT_TIMESTAMP, u32(Math.floor(e.at / 1000))],
      vsa(TGPP_IMSI, utf8(e.imsi)),
      vsa(TGPP_SGSN_MCC_MNC, utf8(e.plmn)),
      vsa(TGPP_USER_LOCATION_INFO, uli),
    ]);
  };

  const onDetach = (e: DetachEvent): void => {
    const was = open.get(e.imsi);
    if (!was) return;
    open.delete(e.imsi);
    enqueue(e.imsi, () => [
      [ACCT_STATUS_TYPE, u32(STOP)],
      [ACCT_SESSION_ID, utf8(was.session)],
      [NAS_IDENTIFIER, nasId],
      [FRAMED_IP_ADDRESS, Uint8Array.from(was.ip.split('.').map(Number))],
      [EVENT_TIMESTAMP, u32(Math.floor(e.at / 1000))],
      vsa(TGPP_IMSI, utf8(e.imsi)),
    ]);
  };

  network.on('attach', onAttach);
  network.on('detach', onDetach);

  return {
    stats,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    reported: (imsi) => (chains.get(imsi) ?? Promise.resolve()).then(() => undefined, () => undefined),
    async close() {
      if (closed) return;
      closed = true;
      network.off('attach', onAttach);
      network.off('detach', onDetach);
      for (const p of [...pending.values()]) p.done(false);
      for (const w of idWaiters.splice(0)) w();
      await new Promise<void>((r) => {
        try {
          sock.close(() => r());
        } catch {
          r(); // never bound (nothing was sent): nothing to close
        }
      });
    },
  };
}
