// RADIUS accounting server [RFC2866]: the network intake of FIG. 2 steps 201 and 208. A PGW/SMF
// (or the network simulator) sends Accounting-Request Start / Interim-Update / Stop; a request
// whose Request Authenticator matches the shared secret is recorded and answered with an
// Accounting-Response, and becomes an attach or detach event. Anything else is dropped with a
// stable code, counted, logged and never answered, so a NAS with the wrong secret sees timeouts.
// An Accounting-On/Off [RFC2866 §5.1] ends every session of its NAS: through `onNasReset` when
// given (the core ends the sessions recorded in its store, whichever process heard them start),
// else by a detach for each session this process saw.
import { SimedgeError, isSimedgeError, type AttachEvent, type Code, type DetachEvent } from '@simedge/device-sdk/wire';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { silentLogger, type Logger } from '../log.js';
import { nasName, parseAccounting, PROXY_STATE, type AccountingRecord } from './accounting.js';
import { ACCOUNTING_REQUEST, decodePacket, encodeAccountingResponse, verifyAccountingRequest, type Packet } from './packet.js';

export interface RadiusAccountingOptions {
  /** Shared secret of the NAS (PGW/SMF or simulator) [RFC2865 §3]. */
  secret: string;
  /** UDP port; default 0 = ephemeral (1813 is the registered one). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Start / Interim-Update: the IMSI is attached, through this session of this NAS. */
  onAttach(ev: AttachEvent, session: RadiusSession): void;
  onDetach(ev: DetachEvent): void;
  /** Accounting-On/Off: every session NAS `nas` reported up to `at` is over. Without it, each
   *  session this process saw from that NAS is reported to onDetach instead. */
  onNasReset?(ev: NasResetEvent): void;
  log?: Logger;
  /** ms clock, injectable. */
  now?: () => number;
}

/** Which RADIUS session reported an attach: its Acct-Session-Id and its NAS (`nasName`). */
export interface RadiusSession { id: string; nas: string }

/** [RFC2866 §5.1] Accounting-On (the NAS restarted) or -Off (it is going down): its sessions are
 *  over. `at`: the event time (arrival minus Acct-Delay-Time), ms. */
export interface NasResetEvent { nas: string; at: number; status: 'on' | 'off' }

export interface RadiusStats {
  received: number;
  answered: number;
  /** Retransmissions answered from the reply cache, with no second event. */
  duplicates: number;
  /** Records ignored because they belong to an older session of the IMSI. */
  stale: number;
  dropped: Partial<Record<Code, number>>;
}

export interface RadiusAccounting {
  host: string;
  port: number;
  readonly stats: RadiusStats;
  close(): Promise<void>;
}

/** `at`: event time of the session's last Start / Interim-Update, as given to onAttach. */
interface SessionState { imsi: string; ip: string; plmn: string; cell: string; tai: string | undefined; nas: string; at: number }

/** How long a reply is kept for retransmissions [RFC2865 §3: "within a short span of time"]. */
const DUP_TTL_MS = 30_000;
const DUP_MAX = 4096;
/** Ended sessions remembered, oldest forgotten first (about 100 bytes each). */
const ENDED_MAX = 65_536;

export async function startRadiusAccounting(opts: RadiusAccountingOptions): Promise<RadiusAccounting> {
  if (typeof opts.secret !== 'string' || opts.secret.length === 0) throw new TypeError('radius: secret must be a non-empty string');
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? Date.now;
  const stats: RadiusStats = { received: 0, answered: 0, duplicates: 0, stale: 0, dropped: {} };
  const replies = new Map<string, { at: number; bytes: Uint8Array }>();
  // Only what this process has seen. The store's attach record (shared by every core, kept across
  // restarts) is the authority on the IMSI's latest attach; these maps only let a record be judged
  // precisely when this process saw the sessions involved.
  const sessions = new Map<string, SessionState>();
  const current = new Map<string, string>(); // imsi -> its current Acct-Session-Id
  // Sessions this process saw end: 'stopped' (a repeated Stop is answered, nothing more) or
  // 'superseded' (a newer Start of the IMSI came: a late record of it is stale).
  const ended = new Map<string, { imsi: string; why: 'stopped' | 'superseded' }>();

  const sock = createSocket('udp4');
  const drop = (code: Code, from: RemoteInfo, detail?: string) => {
    stats.dropped[code] = (stats.dropped[code] ?? 0) + 1;
    log('warn', 'radius packet dropped', { code, from: `${from.address}:${from.port}`, detail });
  };

  const end = (sid: string, imsi: string, why: 'stopped' | 'superseded'): void => {
    sessions.delete(sid);
    ended.delete(sid); // re-inserted last: the map stays oldest first
    ended.set(sid, { imsi, why });
    if (ended.size > ENDED_MAX) ended.delete(ended.keys().next().value!);
  };

  const stale = (imsi: string, rec: AccountingRecord, cur: string | undefined): void => {
    stats.stale++;
    log('info', 'stale accounting record ignored', { imsi, session: rec.session, current: cur, status: rec.status });
  };

  /** [RFC2866 §5.1] Stop: the session is over, so is the IMSI's attach, unless a newer one exists. */
  const stop = (rec: AccountingRecord, imsi: string, at: number): void => {
    const cur = current.get(imsi);
    if (cur === rec.session) {
      end(rec.session, imsi, 'stopped');
      current.delete(imsi);
      opts.onDetach({ imsi, at });
      return;
    }
    const was = ended.get(rec.session);
    if (was?.why === 'stopped') return; // a repeated Stop (the NAS missed our answer): reported already
    // A late Stop of an older session (the device has since attached elsewhere) changes nothing.
    if (was?.why === 'superseded') return stale(imsi, rec, cur);
    // A session this process never saw start: it began before a restart of this core, or its Start
    // went to another core of the cluster. Ending before the last record known here of the IMSI's
    // current session, it is older (the store's attach record is at least that recent too).
    const known = cur === undefined ? undefined : sessions.get(cur);
    if (known && at < known.at) return stale(imsi, rec, cur);
    // Otherwise report the detach with the packet's event time: core.detach() compares it with the
    // store's attach record and ignores a Stop older than the IMSI's latest attach. The session
    // known here, if any, stays: its own Stop is judged the same way.
    end(rec.session, imsi, 'stopped');
    log('info', 'stop of a session not seen by this process: detach reported', { imsi, session: rec.session, at });
    opts.onDetach({ imsi, at });
  };

  const apply = (rec: AccountingRecord, source: string): void => {
    const at = now() - rec.delaySec * 1000;
    const nas = nasName(rec, source);
    if (rec.status === 'on' || rec.status === 'off') {
      // [RFC2866 §5.1] the NAS (re)started or is going down: every session it reported is over,
      // except one it reported after that (a late On, retried for Acct-Delay-Time seconds).
      // The sessions this process saw are forgotten here, so their late records are stale; ending
      // them is onNasReset's (all of them, from the store) or, without it, a detach for each.
      for (const [sid, s] of sessions) {
        if (s.nas !== nas || s.at > at) continue;
        end(sid, s.imsi, 'stopped');
        if (current.get(s.imsi) === sid) {
          current.delete(s.imsi);
          if (!opts.onNasReset) opts.onDetach({ imsi: s.imsi, at });
        }
      }
      opts.onNasReset?.({ nas, at, status: rec.status });
      return;
    }
    const known = sessions.get(rec.session);
    const imsi = rec.imsi ?? known?.imsi ?? ended.get(rec.session)?.imsi;
    if (imsi === undefined) throw new SimedgeError('RADIUS_MISSING_ATTRIBUTE', '3GPP-IMSI');
    if (rec.status === 'stop') return stop(rec, imsi, at);
    const cur = current.get(imsi);
    // A late Interim-Update of an older session (the device has since attached elsewhere), or of
    // one that has stopped, changes nothing.
    if (rec.status === 'interim' && ((cur !== undefined && cur !== rec.session) || ended.has(rec.session))) return stale(imsi, rec, cur);
    const ip = rec.ip ?? known?.ip;
    const plmn = rec.plmn ?? known?.plmn;
    // Cell and TAI come together from one User-Location-Info: a new ECGI-only one drops the TAI.
    const loc = rec.cell !== undefined ? { cell: rec.cell, tai: rec.tai } : known && { cell: known.cell, tai: known.tai };
    if (ip === undefined) throw new SimedgeError('RADIUS_MISSING_ATTRIBUTE', 'Framed-IP-Address');
    if (plmn === undefined) throw new SimedgeError('RADIUS_MISSING_ATTRIBUTE', '3GPP-SGSN-MCC-MNC');
    if (loc === undefined) throw new SimedgeError('RADIUS_MISSING_ATTRIBUTE', '3GPP-User-Location-Info (ECGI)');
    // Start, or Interim-Update (location update, or a refresh after a core restart): attach is an upsert.
    opts.onAttach({ imsi, ip, plmn, cell: loc.cell, ...(loc.tai !== undefined && { tai: loc.tai }), at }, { id: rec.session, nas });
    if (cur !== undefined && cur !== rec.session) end(cur, imsi, 'superseded');
    ended.delete(rec.session);
    sessions.set(rec.session, { imsi, ip, plmn, cell: loc.cell, tai: loc.tai, nas, at });
    current.set(imsi, rec.session);
  };

  const onDatagram = (msg: Buffer, from: RemoteInfo): void => {
    stats.received++;
    const buf = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    let pkt: Packet;
    try {
      pkt = decodePacket(buf);
      if (pkt.code !== ACCOUNTING_REQUEST) throw new SimedgeError('RADIUS_UNSUPPORTED', `code ${pkt.code}`);
      if (!verifyAccountingRequest(buf, opts.secret)) throw new SimedgeError('RADIUS_BAD_AUTHENTICATOR');
    } catch (e) {
      return drop(isSimedgeError(e) ? e.code : 'RADIUS_MALFORMED', from, e instanceof Error ? e.message : undefined);
    }
    const t = now();
    const key = `${from.address}:${from.port}:${pkt.id}:${Buffer.from(pkt.authenticator).toString('hex')}`;
    const cached = replies.get(key);
    if (cached && t - cached.at < DUP_TTL_MS) {
      stats.duplicates++;
      return send(cached.bytes, from);
    }
    try {
      apply(parseAccounting(pkt), from.address);
    } catch (e) {
      if (isSimedgeError(e)) return drop(e.code, from, e.detail);
      // The intake callback failed (a bug or a store failure): the record is not recorded, so it
      // must not be answered [RFC2866 §2]; the NAS will retransmit.
      log('error', 'radius intake failed', { from: `${from.address}:${from.port}`, err: e instanceof Error ? e.message : String(e) });
      return;
    }
    // [RFC2866 §4.2] Proxy-State attributes are copied into the response, in order.
    const bytes = encodeAccountingResponse(pkt, pkt.attributes.filter((a) => a.type === PROXY_STATE), opts.secret);
    remember(key, { at: t, bytes });
    stats.answered++;
    send(bytes, from);
  };

  const remember = (key: string, v: { at: number; bytes: Uint8Array }) => {
    replies.set(key, v);
    for (const [k, r] of replies) {
      if (replies.size <= DUP_MAX && v.at - r.at < DUP_TTL_MS) break; // oldest first: the rest are younger
      replies.delete(k);
    }
  };

  const send = (bytes: Uint8Array, to: RemoteInfo) => {
    sock.send(bytes, to.port, to.address, (err) => {
      if (err) log('warn', 'radius reply not sent', { to: `${to.address}:${to.port}`, err: err.message });
    });
  };

  sock.on('message', (msg, from) => {
    try {
      onDatagram(msg, from);
    } catch (e) {
      // Never let one datagram take the listener down.
      log('error', 'radius datagram handling failed', { err: e instanceof Error ? e.message : String(e) });
    }
  });
  sock.on('error', (e) => log('error', 'radius socket error', { err: e.message }));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(opts.port ?? 0, host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  const port = sock.address().port;
  log('info', 'radius accounting listening', { host, port });
  let closed = false;
  return {
    host,
    port,
    stats,
    close: () => new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      sock.close(() => resolve());
    }),
  };
}
