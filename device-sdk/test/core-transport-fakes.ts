// Test helper: scripted modems for the four internal-MQTT dialects, wired to a loopback "broker"
// in this file (a publish is delivered back to every fake subscribed to its topic). A stand-in,
// because the dialect-capable emulator in hardware/ is being built in parallel; the reply shapes
// follow reference/at-commands.md. The fakes read the `>` payload by count, as modems do, and can
// split everything they send into chunks of any size to exercise the framer.
import type { ByteStream } from '../src/core/stream.js';
import { dec, enc } from './core-pair.js';

export type DialectName = 'quectel' | 'sim7600' | 'sim7080' | 'sara';

/** The loopback broker: topic → subscribed fakes. */
export class LoopBroker {
  readonly published: Array<{ topic: string; payload: Uint8Array }> = [];
  private subs: Array<{ topic: string; modem: FakeMqttModem }> = [];
  subscribe(topic: string, modem: FakeMqttModem): void {
    this.subs.push({ topic, modem });
  }
  drop(modem: FakeMqttModem): void {
    this.subs = this.subs.filter((s) => s.modem !== modem);
  }
  publish(topic: string, payload: Uint8Array): void {
    this.published.push({ topic, payload });
    for (const s of this.subs) if (s.topic === topic) s.modem.deliver(topic, payload);
  }
}

export interface FakeOptions {
  /** Quectel: accept AT+QMTCFG="dataformat" (hex receive). Default true. */
  qmtHex?: boolean;
  /** Bytes per write of everything the modem sends (default: whole replies). */
  chunk?: number;
}

const CRLF = '\r\n';

export class FakeMqttModem {
  readonly commands: string[] = [];
  /** Refuse connects (the network is gone) until set back. */
  refuse = false;
  connected = false;
  /** SARA: split the next AT+UMQTTC=6 reply at this offset. */
  readSplit: number | undefined;
  /** SARA: run once during the next AT+UMQTTC=6, after its messages and before its OK (e.g. a new message arrives). */
  midRead: (() => void) | undefined;
  private buf: number[] = [];
  private want: { n: number; fn: (b: Uint8Array) => void } | undefined;
  private msgId = 0;
  private unread: Array<{ topic: string; payload: Uint8Array }> = [];
  private waiters: Array<{ pred: (c: string) => boolean; resolve: () => void }> = [];

  constructor(private readonly stream: ByteStream, readonly dialect: DialectName, private readonly broker: LoopBroker, private readonly o: FakeOptions = {}) {
    stream.onReadable((b) => {
      for (const x of b) this.buf.push(x);
      this.drain();
    });
  }

  /** Resolves when a command matching pred has arrived (now or later). */
  waitFor(pred: (c: string) => boolean): Promise<void> {
    if (this.commands.some(pred)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Write bytes (a byte string or array), optionally split at `at` into two writes. */
  write(data: string | Uint8Array, at?: number): void {
    const b = typeof data === 'string' ? enc(data) : data;
    const cuts: number[] = [];
    if (at !== undefined) cuts.push(at);
    else if (this.o.chunk) for (let i = this.o.chunk; i < b.length; i += this.o.chunk) cuts.push(i);
    let from = 0;
    for (const c of [...cuts, b.length]) {
      if (c > from) this.stream.write(b.subarray(from, c));
      from = c;
    }
  }
  private line(s: string): void {
    this.write(CRLF + s + CRLF);
  }
  private ok(): void {
    this.line('OK');
  }

  /** The link-loss URC of the dialect. */
  dropLink(): void {
    this.connected = false;
    this.broker.drop(this);
    this.line(({ quectel: '+QMTSTAT: 0,1', sim7600: '+CMQTTCONNLOST: 0,1', sim7080: '+SMSTATE: 0', sara: '+UUMQTTC: 0,100' } as const)[this.dialect]);
  }

  /** The bytes of the receive URC(s) for a message, in the dialect's form. */
  receiveBytes(topic: string, payload: Uint8Array): Uint8Array {
    const hex = Buffer.from(payload).toString('hex').toUpperCase();
    const raw = dec(payload);
    switch (this.dialect) {
      case 'quectel':
        return enc(`${CRLF}+QMTRECV: 0,${++this.msgId},"${topic}",${payload.length},"${this.o.qmtHex === false ? raw : hex}"${CRLF}`);
      case 'sim7080':
        return enc(`${CRLF}+SMSUB: "${topic}","${hex}"${CRLF}`);
      case 'sim7600': {
        let s = `${CRLF}+CMQTTRXSTART: 0,${topic.length},${payload.length}${CRLF}+CMQTTRXTOPIC: 0,${topic.length}${CRLF}${topic}${CRLF}`;
        for (let i = 0; i < payload.length; i += 1500) {
          const part = raw.slice(i, i + 1500);
          s += `+CMQTTRXPAYLOAD: 0,${part.length}${CRLF}${part}${CRLF}`;
        }
        return enc(s + `+CMQTTRXEND: 0${CRLF}`);
      }
      case 'sara':
        return enc(`${CRLF}+UMQTTC: 6,1,${topic.length},${payload.length},"${topic}","${raw}"${CRLF}`); // R5 form
    }
  }

  /** Deliver a message to the device (split at `at` when given). */
  deliver(topic: string, payload: Uint8Array, at?: number): void {
    if (this.dialect === 'sara') {
      this.unread.push({ topic, payload });
      this.line(`+UUMQTTC: 6,${this.unread.length}`);
      return;
    }
    this.write(this.receiveBytes(topic, payload), at);
  }

  private drain(): void {
    for (;;) {
      if (this.want) {
        if (this.buf.length < this.want.n) return;
        const w = this.want;
        this.want = undefined;
        w.fn(Uint8Array.from(this.buf.splice(0, w.n)));
        continue;
      }
      const i = this.buf.indexOf(13);
      if (i < 0) return;
      const cmd = dec(Uint8Array.from(this.buf.splice(0, i + 1))).trim();
      if (!cmd) continue;
      this.commands.push(cmd);
      for (const w of this.waiters.filter((x) => x.pred(cmd))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
      this.handle(cmd);
    }
  }

  private prompt(n: number, fn: (b: Uint8Array) => void): void {
    this.want = { n, fn };
    this.write('> ');
  }

  private handle(cmd: string): void {
    let m: RegExpExecArray | null;
    const connect = (ok: () => void) => {
      if (this.refuse) return false;
      this.connected = true;
      ok();
      return true;
    };
    switch (this.dialect) {
      case 'quectel':
        if (cmd.startsWith('AT+QMTCFG="dataformat"')) return this.o.qmtHex === false ? this.line('ERROR') : this.ok();
        if (cmd.startsWith('AT+QMTCFG=')) return this.ok();
        if (cmd.startsWith('AT+QMTOPEN=0,')) {
          this.ok();
          return this.line(`+QMTOPEN: 0,${this.refuse ? 3 : 0}`);
        }
        if (cmd.startsWith('AT+QMTCONN=0,')) {
          this.ok();
          connect(() => undefined);
          return this.line('+QMTCONN: 0,0,0');
        }
        if ((m = /^AT\+QMTPUBEX=0,(\d+),1,0,"([^"]+)",(\d+)$/.exec(cmd))) {
          const [id, topic] = [m[1], m[2]!];
          return this.prompt(Number(m[3]), (b) => {
            this.ok();
            if (!this.connected) return this.line(`+QMTPUB: 0,${id},2`);
            this.line(`+QMTPUB: 0,${id},0`);
            this.broker.publish(topic, b);
          });
        }
        if ((m = /^AT\+QMTSUB=0,(\d+),"([^"]+)",1$/.exec(cmd))) {
          this.ok();
          this.broker.subscribe(m[2]!, this);
          return this.line(`+QMTSUB: 0,${m[1]},0,1`);
        }
        if (cmd === 'AT+QMTDISC=0') {
          this.connected = false;
          this.ok();
          return this.line('+QMTDISC: 0,0');
        }
        break;
      case 'sim7600':
        if (cmd === 'AT+CMQTTSTART') {
          this.ok();
          return this.line('+CMQTTSTART: 0');
        }
        if (cmd.startsWith('AT+CMQTTACCQ=0,')) return this.ok();
        if (cmd.startsWith('AT+CMQTTCONNECT=0,"tcp://')) {
          this.ok();
          return this.line(connect(() => undefined) ? '+CMQTTCONNECT: 0,0' : '+CMQTTCONNECT: 0,6');
        }
        if ((m = /^AT\+CMQTTTOPIC=0,(\d+)$/.exec(cmd))) return this.prompt(Number(m[1]), (b) => { this.topic = dec(b); this.ok(); });
        if ((m = /^AT\+CMQTTPAYLOAD=0,(\d+)$/.exec(cmd))) return this.prompt(Number(m[1]), (b) => { this.payload = b; this.ok(); });
        if (cmd === 'AT+CMQTTPUB=0,1,60') {
          this.ok();
          if (!this.connected) return this.line('+CMQTTPUB: 0,11');
          this.line('+CMQTTPUB: 0,0');
          return this.broker.publish(this.topic, this.payload);
        }
        if ((m = /^AT\+CMQTTSUB=0,(\d+),1$/.exec(cmd))) {
          return this.prompt(Number(m[1]), (b) => {
            this.ok();
            this.broker.subscribe(dec(b), this);
            this.line('+CMQTTSUB: 0,0');
          });
        }
        if (cmd === 'AT+CMQTTDISC=0,60') {
          this.ok();
          return this.line('+CMQTTDISC: 0,0');
        }
        if (cmd === 'AT+CMQTTREL=0' || cmd === 'AT+CMQTTSTOP') return this.ok();
        break;
      case 'sim7080':
        if (cmd.startsWith('AT+SMCONF=')) return this.ok();
        if (cmd === 'AT+SMCONN') return connect(() => this.ok()) ? undefined : this.line('ERROR');
        if ((m = /^AT\+SMPUB="([^"]+)",(\d+),1,0$/.exec(cmd))) {
          const topic = m[1]!;
          return this.prompt(Number(m[2]), (b) => {
            if (!this.connected) return this.line('ERROR');
            this.ok();
            this.broker.publish(topic, b);
          });
        }
        if ((m = /^AT\+SMSUB="([^"]+)",1$/.exec(cmd))) {
          this.broker.subscribe(m[1]!, this);
          return this.ok();
        }
        if (cmd === 'AT+SMDISC') return this.ok();
        break;
      case 'sara':
        if (cmd.startsWith('AT+UMQTT=')) return this.line(`+UMQTT: ${cmd.slice(9).split(',')[0]},1${CRLF}${CRLF}OK`);
        if (cmd === 'AT+UMQTTC=1') {
          this.line('+UMQTTC: 1,1');
          this.ok();
          return this.line(`+UUMQTTC: 1,${connect(() => undefined) ? 1 : 0}`);
        }
        if ((m = /^AT\+UMQTTC=9,1,0,"([^"]+)",(\d+)$/.exec(cmd))) {
          const topic = m[1]!;
          return this.prompt(Number(m[2]), (b) => {
            this.line(`+UMQTTC: 9,${this.connected ? 1 : 0}`);
            this.ok();
            if (this.connected) this.broker.publish(topic, b);
          });
        }
        if ((m = /^AT\+UMQTTC=4,1,"([^"]+)"$/.exec(cmd))) {
          this.broker.subscribe(m[1]!, this);
          this.line('+UMQTTC: 4,1');
          return this.ok();
        }
        if (cmd === 'AT+UMQTTC=6') {
          const all = this.unread.splice(0);
          let s = '';
          for (const u of all) s += dec(this.receiveBytes(u.topic, u.payload));
          const at = this.readSplit;
          this.readSplit = undefined;
          const mid = this.midRead;
          this.midRead = undefined;
          if (!mid) return this.write(s + `${CRLF}OK${CRLF}`, at);
          this.write(s, at);
          mid();
          this.write(`${CRLF}OK${CRLF}`);
          return;
        }
        if (cmd === 'AT+UMQTTC=0') {
          this.line('+UMQTTC: 0,1');
          return this.ok();
        }
        break;
    }
    this.line('ERROR');
  }

  private topic = '';
  private payload: Uint8Array = new Uint8Array(0);
}
