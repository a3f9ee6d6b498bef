// The emulated cellular modem: a UART speaking TS 27.007 plus one vendor dialect (Quectel QMT,
// SIMCom CMQTT / SM, u-blox UMQTT) over a ByteStream, with an emulated SIM (and its IoT SAFE
// applet), registering with the network simulator, its internal MQTT client talking to a real
// broker. Input is framed into command lines (or, after a `>` prompt, exactly the announced
// number of raw bytes), echoed (while ATE1), parsed and dispatched through the handler table.
// One line is worked on at a time: while a response is delayed or waits for real work, further
// input stays queued. Unsolicited result codes are held while a command is in progress and
// written after its final result, so a URC never lands inside a response.
import type { KeyObject } from 'node:crypto';
import type { ByteStream } from '@simedge/device-sdk/core';
import type { TraceSink } from '@simedge/device-sdk/wire';
import type { NetworkSim } from '../network.js';
import { SimCard, type SimProfile } from '../sim.js';
import { ascii, concat } from './bytes.js';
import { parseLine, type Command } from './command.js';
import { ModemCore } from './core.js';
import { dialect as lookupDialect, type DialectName } from './dialects/index.js';
import type { DialectContext, Identity } from './dialects/types.js';
import { FaultPlan, type ModemFaults, type ModemTimings } from './faults.js';
import { LineFramer, type FramedItem } from './framer.js';
import { HANDLERS } from './handlers/index.js';
import { csim } from './handlers/csim.js';
import { isPrompt, type Handler, type PromptReply, type Reply } from './handlers/types.js';
import { MqttLink, brokerUrl, probeTcp } from './mqtt/link.js';
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
  /** The command set besides TS 27.007: default 'generic' (none). */
  dialect?: DialectName;
  /**
   * Where the modem-internal MQTT client really connects (mqtt://host:port), whatever host and
   * port the AT commands name - the simulated network's DNS. Default: the named host and port.
   */
  broker?: string;
  /** +CSIM answers with the response in quotes (default) or without (as some modems do). */
  csimQuoted?: boolean;
  /** Response and registration latencies; default 0. */
  timings?: ModemTimings;
  /** Fault injection (dropped bytes, delays, ERROR replies), deterministic from its seed. */
  faults?: ModemFaults;
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

/** ATI / +CGMI / +CGMM / +CGMR answering with the dialect's identity [TS27.007 §5.1-5.3; V.250 §6.1.3]. */
function identityHandlers(id: Identity): Record<string, Handler> {
  const exec = (lines: string[]): Handler => (_m, c) => {
    if (c.kind === 'test') return [];
    if (c.kind !== 'exec' || c.args.length > 0 && c.args[0]?.value !== '0') throw new AtFail();
    return lines;
  };
  return {
    I: exec([id.manufacturer, id.model, `Revision: ${id.revision}`]),
    '+CGMI': exec([id.manufacturer]),
    '+CGMM': exec([id.model]),
    '+CGMR': exec([id.revision]),
  };
}

export class ModemEmulator {
  /** The dialect this modem speaks. */
  readonly dialect: DialectName;
  private readonly core: ModemCore;
  private readonly framer = new LineFramer();
  private readonly trace: TraceSink | undefined;
  private readonly now: () => number;
  private readonly faults: FaultPlan;
  private readonly handlers: Readonly<Record<string, Handler>>;
  private readonly redirect: string | undefined;
  private readonly links = new Set<MqttLink>();
  private stream: ByteStream | undefined;
  private inbox: Uint8Array[] = [];
  private offset = 0;
  /** A response is being delayed or waits for real work. */
  private busy = false;
  /** A `>` prompt is out: the framer collects its raw bytes. */
  private prompt: { reply: PromptReply; lines: string[] } | undefined;
  private urcs: Uint8Array[] = [];
  private urcScheduled = false;
  private closed = false;

  constructor(opts: ModemEmulatorOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('ModemEmulator options required');
    if (opts.imei !== undefined && !/^[0-9]{15}$/.test(opts.imei)) throw new RangeError('imei must be 15 digits');
    if (opts.broker !== undefined && !/^mqtt:\/\/[^/]+$/.test(opts.broker)) throw new RangeError('broker must be mqtt://host:port');
    const d = lookupDialect(opts.dialect ?? 'generic'); // RangeError for an unknown dialect
    this.dialect = d.name;
    this.faults = new FaultPlan(opts.faults, opts.timings);
    this.redirect = opts.broker;
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
      urc: (line) => this.queueUrc(ascii(`\r\n${line}\r\n`)),
      defer: (fn, delayMs) => {
        const run = (): void => { if (!this.closed) this.guard(fn, false); };
        if (delayMs !== undefined && delayMs > 0) setTimeout(run, delayMs);
        else setImmediate(run);
      },
      registerDelayMs: () => this.faults.registerDelay(),
    });
    this.core.csimQuoted = opts.csimQuoted ?? true;
    // Leaving the network takes the modem's MQTT connections with it.
    this.core.onDetach(() => this.dropLink());
    const ctx: DialectContext = {
      core: this.core,
      urc: (line) => this.queueUrc(ascii(`\r\n${line}\r\n`)),
      urcRaw: (parts) => this.queueUrc(concat(parts)),
      openLink: async (host, port, o, h) => {
        let link: MqttLink | undefined;
        link = await MqttLink.open(brokerUrl(host, port, this.redirect), o, {
          message: h.message,
          lost: () => { if (link) this.links.delete(link); h.lost(); },
        });
        if (this.closed) { link.drop(); throw new Error('modem closed'); }
        this.links.add(link);
        return link;
      },
      probe: (host, port) => probeTcp(brokerUrl(host, port, this.redirect)),
    };
    this.handlers = { ...HANDLERS, ...identityHandlers(d.identity), '+CSIM': csim, ...d.handlers(ctx) };
  }

  get registered(): boolean { return this.core.registered; }
  get cellId(): string { return this.core.cellId; }
  /** The SIM's IoT SAFE public key (to register in the core's subscriber registry). */
  get iotSafePublicKey(): KeyObject { return this.core.sim.iotSafeKeys().pub; }

  /** Attach the modem's UART to one end of a ByteStream pair (replacing an earlier one). */
  connect(stream: ByteStream): void {
    if (this.closed) throw new Error('modem is closed');
    this.stream = stream;
    stream.onReadable((bytes) => {
      if (this.stream !== stream || this.closed || bytes.length === 0) return;
      this.inbox.push(Uint8Array.prototype.slice.call(bytes));
      this.pump();
    });
  }

  /** Move the device to another cell; RangeError for a cell the network does not have. */
  moveTo(cellId: string): void {
    this.core.moveTo(cellId);
  }

  /** The network detaches the device (coverage lost, core-initiated detach): +CEREG: 0, MQTT links drop. */
  networkDetach(): void {
    this.core.deregister();
  }

  /** Link loss: every open modem-internal MQTT connection dies; the dialect's link-lost URC follows. */
  dropLink(): void {
    for (const l of [...this.links]) {
      this.links.delete(l);
      l.drop();
    }
  }

  /** Power off: detach from the network, end MQTT connections, stop answering, close the UART. */
  close(): void {
    if (this.closed) return;
    this.core.powerOff();
    this.closed = true;
    for (const l of this.links) l.drop();
    this.links.clear();
    this.urcs = [];
    this.inbox = [];
    this.stream?.close();
    this.stream = undefined;
  }

  /** Frame queued input one item at a time, as long as no command is in progress. */
  private pump(): void {
    while (!this.busy && !this.closed && this.inbox.length > 0) {
      const head = this.inbox[0] as Uint8Array;
      const r = this.framer.step(head, this.offset);
      this.offset = r.next;
      if (this.offset >= head.length) {
        this.inbox.shift();
        this.offset = 0;
      }
      if (r.item) this.guard(() => this.onItem(r.item as FramedItem), true);
    }
    this.flushUrcsSoon();
  }

  private onItem(item: FramedItem): void {
    if ('data' in item) {
      const p = this.prompt;
      this.prompt = undefined;
      if (p) this.settle(p.lines, () => p.reply.onData(item.data), [], 0);
      return;
    }
    if ('overflow' in item) {
      this.finish([], 'ERROR');
      return;
    }
    if (item.line.trim() === '') return;
    // The echo setting in force when the line arrived applies: "ATE0" is itself echoed.
    if (this.core.echo) this.send(`${item.line}\r`);
    let cmds: Command[];
    try {
      cmds = parseLine(item.line);
    } catch (e) {
      if (!(e instanceof AtFail)) throw e;
      this.finish([], 'ERROR');
      return;
    }
    const delay = this.faults.responseDelay(cmds[0]?.name ?? '');
    const run = (): void => {
      if (this.faults.injectError()) {
        this.finish([], 'ERROR');
        return;
      }
      this.runFrom(cmds, 0, []);
    };
    if (delay <= 0) {
      run();
      return;
    }
    this.busy = true;
    setTimeout(() => {
      if (this.closed) return;
      this.busy = false;
      this.guard(run, true);
      this.pump();
    }, delay);
  }

  /** Run cmds[i..], collecting response lines; stops at a prompt, a pending promise or an error. */
  private runFrom(cmds: Command[], i: number, lines: string[]): void {
    for (; i < cmds.length; i++) {
      const c = cmds[i] as Command;
      const h = Object.hasOwn(this.handlers, c.name) ? this.handlers[c.name] : undefined;
      let r: Reply;
      try {
        if (!h) throw new AtFail();
        r = h(this.core, c);
      } catch (e) {
        this.fail(lines, e);
        return;
      }
      if (isPrompt(r)) {
        // The data phase ends the line: a prompting command must come last.
        if (i !== cmds.length - 1) { this.finish(lines, 'ERROR'); return; }
        this.prompt = { reply: r, lines };
        this.framer.expectBytes(r.prompt);
        this.send('\r\n> ');
        return;
      }
      if (!Array.isArray(r)) {
        this.settle(lines, () => r as Promise<string[]>, cmds, i + 1);
        return;
      }
      lines.push(...r);
    }
    this.finish(lines, 'OK');
  }

  /** Continue after work that may be asynchronous, holding further input until it is done. */
  private settle(lines: string[], work: () => string[] | Promise<string[]>, cmds: Command[], next: number): void {
    let r: string[] | Promise<string[]>;
    try {
      r = work();
    } catch (e) {
      this.fail(lines, e);
      return;
    }
    if (Array.isArray(r)) {
      this.runFrom(cmds, next, [...lines, ...r]);
      return;
    }
    this.busy = true;
    r.then((more) => {
      if (this.closed) return;
      this.busy = false;
      this.guard(() => this.runFrom(cmds, next, [...lines, ...more]), true);
      this.pump();
    }, (e: unknown) => {
      if (this.closed) return;
      this.busy = false;
      this.fail(lines, e);
      this.pump();
    });
  }

  private fail(lines: string[], e: unknown): void {
    if (e instanceof AtFail) {
      // A failing command ends the line; earlier commands' responses still go out [V.250 §5.2.1].
      this.finish(lines, this.errorResult(e.cme));
      return;
    }
    this.trace?.({ at: this.now(), actor: `modem:${this.core.sim.imsi}`, imsi: this.core.sim.imsi, ev: 'internal-error', detail: String(e) });
    this.finish(lines, 'ERROR');
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
    this.flushUrcsSoon();
  }

  private queueUrc(bytes: Uint8Array): void {
    if (this.closed) return;
    this.urcs.push(bytes);
    this.flushUrcsSoon();
  }

  /** URCs go out when no command is in progress (never between a prompt and its data). */
  private flushUrcsSoon(): void {
    if (this.urcScheduled || this.urcs.length === 0) return;
    this.urcScheduled = true;
    setImmediate(() => {
      this.urcScheduled = false;
      if (this.closed || this.busy || this.prompt) return; // flushed again when the command ends
      const batch = this.urcs;
      this.urcs = [];
      for (const u of batch) this.write(u);
    });
  }

  private send(s: string): void {
    this.write(ascii(s));
  }

  private write(bytes: Uint8Array): void {
    const out = this.faults.filterOutput(bytes);
    if (out.length > 0) this.stream?.write(out);
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
      if (answering) {
        this.prompt = undefined;
        this.framer.cancelData();
        this.busy = false;
        this.send('\r\nERROR\r\n');
      }
    }
  }
}
