// The modem's state and radio behaviour, apart from the UART: functionality level, EPS
// registration (network.register / deregister), location updates when the device moves, and the
// +CEREG unsolicited result codes those changes cause. Command handlers read and change it;
// emulator.ts owns the byte side.
import type { TraceSink } from '@simedge/device-sdk/wire';
import { NO_GATE, type CellInfo, type NetworkSim } from '../network.js';
import type { SimCard } from '../sim.js';

/** <stat> of +CEREG [TS27.007 §10.1.22]: 0 not registered, 1 home, 5 roaming. */
export type RegStat = 0 | 1 | 5;

/** E-UTRAN <AcT> [TS27.007 §7.3]. */
export const ACT_EUTRAN = 7;

export interface PdpContext { type: string; apn: string }

export interface ModemCoreOptions {
  sim: SimCard;
  network: NetworkSim;
  cell: string;
  echo: boolean;
  imei: string;
  trace: TraceSink | undefined;
  now: () => number;
  /** Queue an unsolicited result code; the emulator sends it after the current output. */
  urc: (line: string) => void;
  /** Run `fn` later (after the current command's final result has been written), `delayMs` on. */
  defer: (fn: () => void, delayMs?: number) => void;
  /** How long a registration takes once it is possible (ms); default 0. */
  registerDelayMs?: () => number;
}

export class ModemCore {
  readonly sim: SimCard;
  readonly network: NetworkSim;
  readonly imei: string;
  readonly defaultEcho: boolean;
  /** ATE [V.250 §6.2.4] */
  echo: boolean;
  /** +CMEE [TS27.007 §9.1]: 1 by default so hosts see numeric +CME ERROR codes without asking. */
  cmee: 0 | 1 | 2 = 1;
  /** +CEREG <n> [TS27.007 §10.1.22] */
  cereg: 0 | 1 | 2 = 0;
  /** +COPS <format> [TS27.007 §7.3]: 0 long, 1 short, 2 numeric. */
  copsFormat: 0 | 1 | 2 = 0;
  /** +COPS <mode>: 0 automatic, 2 deregistered by the host. */
  copsMode: 0 | 2 = 0;
  /** +CSIM answers with the response in quotes (most modems) or bare (some omit them). */
  csimQuoted = true;
  /** +CGDCONT contexts by <cid> [TS27.007 §10.1.1]. */
  readonly pdp = new Map<number, PdpContext>();

  private _fun: 0 | 1 | 4 = 0;
  private _cellId: string;
  private _stat: RegStat = 0;
  private _ip: string | undefined;
  private pendingRegister = false;
  private off = false;
  private readonly trace: TraceSink | undefined;
  private readonly now: () => number;
  private readonly urc: (line: string) => void;
  private readonly defer: (fn: () => void, delayMs?: number) => void;
  private readonly registerDelayMs: () => number;
  private readonly detachHooks: Array<() => void> = [];

  constructor(o: ModemCoreOptions) {
    this.sim = o.sim;
    this.network = o.network;
    this.imei = o.imei;
    this.defaultEcho = o.echo;
    this.echo = o.echo;
    this._cellId = o.network.cell(o.cell).id;
    this.trace = o.trace;
    this.now = o.now;
    this.urc = o.urc;
    this.defer = o.defer;
    this.registerDelayMs = o.registerDelayMs ?? (() => 0);
  }

  /** Queue an unsolicited result code (sent after the output in progress). */
  emitUrc(line: string): void {
    this.urc(line);
  }

  /** Called whenever the modem leaves the network: the vendor MQTT clients lose their link. */
  onDetach(fn: () => void): void {
    this.detachHooks.push(fn);
  }

  get fun(): 0 | 1 | 4 { return this._fun; }
  get cellId(): string { return this._cellId; }
  get cell(): CellInfo { return this.network.cell(this._cellId); }
  get stat(): RegStat { return this._stat; }
  get registered(): boolean { return this._stat !== 0; }
  /** The session's address while registered. */
  get ip(): string | undefined { return this._ip; }
  private get actor(): string { return `modem:${this.sim.imsi}`; }

  /** ATZ / AT&F: settings back to the power-up profile; the radio state is untouched. */
  resetSettings(): void {
    this.echo = this.defaultEcho;
    this.cmee = 1;
    this.cereg = 0;
    this.copsFormat = 0;
  }

  /** AT+CFUN=<fun> [TS27.007 §8.2]: 1 radio on (registers later), 0/4 radio off (detaches now). */
  setFun(fun: 0 | 1 | 4): void {
    this._fun = fun;
    if (fun === 1) this.scheduleRegister();
    else this.deregister();
  }

  /** Registration happens after the final result of the command that made it possible. */
  scheduleRegister(): void {
    if (this.pendingRegister || this.off) return;
    this.pendingRegister = true;
    this.defer(() => {
      this.pendingRegister = false;
      this.register();
    }, this.registerDelayMs());
  }

  /** Registers now if the radio is on, the SIM unlocked and automatic selection allowed. */
  register(): boolean {
    if (this.off || this.registered || this._fun !== 1 || !this.sim.ready || this.copsMode !== 0) return this.registered;
    this.attachOn(this.location());
    return true;
  }

  /** Leaves the network (radio off, CGATT=0, COPS=2, power off); no-op when not registered. */
  deregister(): void {
    if (!this.registered) return;
    const before = this.location();
    this._stat = 0;
    this._ip = undefined;
    this.network.deregister(this.sim.imsi);
    this.trace?.({ at: this.now(), actor: this.actor, imsi: this.sim.imsi, ev: 'deregistered' });
    this.report(before);
    for (const h of this.detachHooks) h();
  }

  /** The radio side of handover / roaming: camp on another cell, updating the network if registered. */
  moveTo(cellId: string): void {
    const cell = this.network.cell(cellId); // RangeError for an unknown cell, before any change
    if (this.off || cell.id === this._cellId) return;
    const before = this.location();
    this._cellId = cell.id;
    if (this.registered) this.attachOn(before);
  }

  /** Power off: detach and stop reacting. */
  powerOff(): void {
    this.deregister();
    this.off = true;
  }

  /** +CEREG line: URC form, or read form with <n> first [TS27.007 §10.1.22]. */
  ceregLine(read: boolean): string {
    const head = read ? `+CEREG: ${this.cereg},${this._stat}` : `+CEREG: ${this._stat}`;
    if (this.cereg < 2 || !this.registered) return head;
    const c = this.cell;
    return `${head},"${c.tac}","${c.ci}",${ACT_EUTRAN}`;
  }

  /** Registers (or updates the location) on the current cell; `before` is for the URC decision. */
  private attachOn(before: { stat: RegStat; tac: string; ci: string }): void {
    const r = this.network.register(this.sim.imsi, this._cellId, { homePlmn: this.sim.homePlmn });
    // The network's view is r.roaming; the modem says home (1) on an equivalent home PLMN too.
    this._stat = r.roaming && !this.sim.isHome(r.cell.plmn) ? 5 : 1;
    this._ip = r.ip;
    const confirm = () => {
      this.trace?.({
        at: this.now(), step: 202, actor: this.actor, imsi: this.sim.imsi, ev: 'registered',
        detail: `stat=${this._stat} plmn=${r.cell.plmn} cell=${r.cell.id} tac=${r.cell.tac} ci=${r.cell.ci}`,
      });
      this.report(before);
    };
    // The network confirms (+CEREG) only once its attach gates passed, e.g. the core answered
    // the RADIUS Accounting-Start; without gates it confirms at once, as before.
    const gate = this.network.settled(this.sim.imsi);
    if (gate === NO_GATE) confirm();
    else void gate.then(() => { if (!this.off && this.registered && this._cellId === r.cell.id) confirm(); });
  }

  private location(): { stat: RegStat; tac: string; ci: string } {
    const c = this.cell;
    return { stat: this._stat, tac: c.tac, ci: c.ci };
  }

  /** n=1 reports changes of <stat>; n=2 also changes of tac/ci while registered [TS27.007 §10.1.22]. */
  private report(before: { stat: RegStat; tac: string; ci: string }): void {
    const now = this.location();
    const statChanged = now.stat !== before.stat;
    const locChanged = this.registered && (now.tac !== before.tac || now.ci !== before.ci);
    if ((this.cereg === 1 && statChanged) || (this.cereg === 2 && (statChanged || locChanged))) {
      this.urc(this.ceregLine(false));
    }
  }
}
