// The emulated cellular modem: a UART speaking the generic TS 27.007 subset over a ByteStream,
// with an emulated SIM, registering with the network simulator. Input is framed into command
// lines, echoed (while ATE1), parsed, dispatched through the handler table; responses and final
// results are written at once, unsolicited result codes are queued and written after them so a
// URC never lands inside a response.
import type { ByteStream } from '@simedge/device-sdk/core';
import type { TraceSink } from '@simedge/device-sdk/wire';
import type { NetworkSim } from '../network.js';
import { SimCard, type SimProfile } from '../sim.js';
import { parseLine, type Command } from './command.js';
import { ModemCore } from './core.js';
import { LineFramer, type FramedLine } from './framer.js';
import { HANDLERS } from './handlers/index.js';
import { AtFail, CME_TEXT } from './result.js';

export interface ModemEmulatorOptions {
  sim: SimProfile;
  network: NetworkSim;
  /** The cell the device camps on at power-up. */
  cell: string;
  /** Command echo at power-up (ATE1), default true like a real modem. */
  echo?: boolean;
  /** 15-digit IMEI; default derived from the IMSI. */
  imei?: string;
  trace?: TraceSink;
  now?: () => number;
}

/** A Luhn-valid IMEI [TS23.003 §6.2.1] from a fixed TAC and the IMSI's last six digits. */
function defaultImei(imsi: string): string {
  const body = `35000000${imsi.slice(-6).padStart(6, '0')}`;
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = body.charCodeAt(i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export class ModemEmulator {
  private readonly core: ModemCore;
  private readonly framer = new LineFramer();
  private readonly trace: TraceSink | undefined;
  private readonly now: () => number;
  private stream: ByteStream | undefined;
  private urcs: string[] = [];
  private urcScheduled = false;
  private closed = false;

  constructor(opts: ModemEmulatorOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('ModemEmulator options required');
    if (opts.imei !== undefined && !/^[0-9]{15}$/.test(opts.imei)) throw new RangeError('imei must be 15 digits');
    const sim = new SimCard(opts.sim);
    this.trace = opts.trace;
    this.now = opts.now ?? Date.now;
    this.core = new ModemCore({
      sim,
      network: opts.network,
      cell: opts.cell, // RangeError here for a cell the network does not have
      echo: opts.echo ?? true,
      imei: opts.imei ?? defaultImei(sim.imsi),
      trace: opts.trace,
      now: this.now,
      urc: (line) => this.queueUrc(line),
      defer: (fn) => setImmediate(() => { if (!this.closed) this.guard(fn, false); }),
    });
  }

  get registered(): boolean { return this.core.registered; }
  get cellId(): string { return this.core.cellId; }

  /** Attach the modem's UART to one end of a ByteStream pair (replacing an earlier one). */
  connect(stream: ByteStream): void {
    if (this.closed) throw new Error('modem is closed');
    this.stream = stream;
    stream.onReadable((bytes) => {
      if (this.stream !== stream || this.closed) return;
      for (const l of this.framer.push(bytes)) this.guard(() => this.onLine(l), true);
    });
  }

  /** Move the device to another cell; RangeError for a cell the network does not have. */
  moveTo(cellId: string): void {
    this.core.moveTo(cellId);
  }

  /** Power off: detach from the network, stop answering, close the UART. */
  close(): void {
    if (this.closed) return;
    this.core.powerOff();
    this.closed = true;
    this.urcs = [];
    this.stream?.close();
    this.stream = undefined;
  }

  private onLine(l: FramedLine): void {
    if ('overflow' in l) {
      this.finish([], 'ERROR');
      return;
    }
    if (l.line.trim() === '') return;
    // The echo setting in force when the line arrived applies: "ATE0" is itself echoed.
    if (this.core.echo) this.send(`${l.line}\r`);
    let cmds: Command[];
    try {
      cmds = parseLine(l.line);
    } catch (e) {
      if (!(e instanceof AtFail)) throw e;
      this.finish([], 'ERROR');
      return;
    }
    const lines: string[] = [];
    for (const c of cmds) {
      const h = Object.hasOwn(HANDLERS, c.name) ? HANDLERS[c.name] : undefined;
      try {
        if (!h) throw new AtFail();
        lines.push(...h(this.core, c));
      } catch (e) {
        if (!(e instanceof AtFail)) throw e;
        // A failing command ends the line; earlier commands' responses still go out [V.250 §5.2.1].
        this.finish(lines, this.errorResult(e.cme));
        return;
      }
    }
    this.finish(lines, 'OK');
  }

  /** ERROR, or +CME ERROR in the AT+CMEE format [TS27.007 §9.1]. */
  private errorResult(cme: number | undefined): string {
    if (cme === undefined || this.core.cmee === 0) return 'ERROR';
    if (this.core.cmee === 2) return `+CME ERROR: ${CME_TEXT[cme] ?? String(cme)}`;
    return `+CME ERROR: ${cme}`;
  }

  /** Information text and final result, each framed "\r\n<text>\r\n" [V.250 §5.7.1]. */
  private finish(lines: string[], final: string): void {
    this.send([...lines, final].map((s) => `\r\n${s}\r\n`).join(''));
  }

  private queueUrc(line: string): void {
    if (this.closed) return;
    this.urcs.push(line);
    if (this.urcScheduled) return;
    this.urcScheduled = true;
    setImmediate(() => {
      this.urcScheduled = false;
      const batch = this.urcs;
      this.urcs = [];
      for (const u of batch) this.send(`\r\n${u}\r\n`);
    });
  }

  private send(s: string): void {
    this.stream?.write(ascii(s));
  }

  /**
   * Nothing escapes into an I/O or timer callback: an internal failure is traced, and while a
   * command is being answered (`answering`) it ends with ERROR so the host is not left waiting.
   */
  private guard(fn: () => void, answering: boolean): void {
    try {
      fn();
    } catch (e) {
      this.trace?.({ at: this.now(), actor: `modem:${this.core.sim.imsi}`, imsi: this.core.sim.imsi, ev: 'internal-error', detail: String(e) });
      if (answering) this.send('\r\nERROR\r\n');
    }
  }
}
