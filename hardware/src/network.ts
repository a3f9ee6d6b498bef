// The network simulator: the cells a device can camp on and the packet core behind them. When a
// modem registers it allocates the IMSI's address and emits the attach event (what a PGW/SMF
// reports as RADIUS Accounting-Start: IMSI, framed IP, serving PLMN, cell) - FIG. 2 step 201;
// when the modem detaches it emits the detach event (Accounting-Stop, step 208).
import { EventEmitter } from 'node:events';
import { taiName, type AttachEvent, type DetachEvent, type TraceSink } from '@simedge/device-sdk/wire';
import { IpPool } from './ip-pool.js';

export interface CellInfo {
  /** Simulator-wide name of the cell (what attach events carry as `cell`). */
  id: string;
  /** Serving PLMN: MCC (3 digits) + MNC (2 or 3 digits). */
  plmn: string;
  /** Tracking area code, 4 hex digits [TS24.301 §9.9.3.32]. */
  tac: string;
  /** E-UTRAN cell identity, 7-8 hex digits (28 bits) [TS36.413 §9.2.1.38]. */
  ci: string;
}

export interface Session { imsi: string; ip: string; cell: string }

export interface NetworkSimOptions {
  cells: CellInfo[];
  trace?: TraceSink;
  now?: () => number;
  /** IPv4 CIDR the session addresses come from; default 100.64.0.0/10 [RFC6598]. */
  ipPool?: string;
}

function checkCell(c: CellInfo): CellInfo {
  if (typeof c !== 'object' || c === null) throw new TypeError('cell must be an object');
  if (typeof c.id !== 'string' || !/^[A-Za-z0-9_.:-]{1,32}$/.test(c.id)) throw new RangeError(`cell id ${String(c.id)} must be 1-32 characters [A-Za-z0-9_.:-]`);
  if (typeof c.plmn !== 'string' || !/^[0-9]{5,6}$/.test(c.plmn)) throw new RangeError(`cell ${c.id}: plmn must be 5-6 digits`);
  if (typeof c.tac !== 'string' || !/^[0-9A-Fa-f]{4}$/.test(c.tac)) throw new RangeError(`cell ${c.id}: tac must be 4 hex digits`);
  if (typeof c.ci !== 'string' || !/^[0-9A-Fa-f]{7,8}$/.test(c.ci)) throw new RangeError(`cell ${c.id}: ci must be 7-8 hex digits`);
  return { id: c.id, plmn: c.plmn, tac: c.tac.toUpperCase(), ci: c.ci.toUpperCase() };
}

/** What `settled` returns when no gate is pending: the modem then confirms synchronously. */
export const NO_GATE: Promise<void> = Promise.resolve();

export class NetworkSim extends EventEmitter {
  private readonly cells = new Map<string, CellInfo>();
  private readonly active = new Map<string, Session>();
  private gates: Array<(e: AttachEvent) => Promise<unknown>> = [];
  private readonly pendingGates = new Map<string, Promise<void>>();
  private readonly pool: IpPool;
  private readonly trace: TraceSink | undefined;
  private readonly now: () => number;

  constructor(opts: NetworkSimOptions) {
    super();
    if (!Array.isArray(opts?.cells) || opts.cells.length === 0) throw new TypeError('NetworkSim needs at least one cell');
    for (const c of opts.cells) {
      const cell = checkCell(c);
      if (this.cells.has(cell.id)) throw new RangeError(`duplicate cell id ${cell.id}`);
      this.cells.set(cell.id, cell);
    }
    this.pool = new IpPool(opts.ipPool); // RangeError for a malformed CIDR
    this.trace = opts.trace;
    this.now = opts.now ?? Date.now;
  }

  override on(ev: 'attach', fn: (e: AttachEvent) => void): this;
  override on(ev: 'detach', fn: (e: DetachEvent) => void): this;
  override on(ev: string | symbol, fn: (...args: never[]) => void): this;
  override on(ev: string | symbol, fn: (...args: never[]) => void): this {
    return super.on(ev, fn as (...args: unknown[]) => void);
  }

  override once(ev: 'attach', fn: (e: AttachEvent) => void): this;
  override once(ev: 'detach', fn: (e: DetachEvent) => void): this;
  override once(ev: string | symbol, fn: (...args: never[]) => void): this;
  override once(ev: string | symbol, fn: (...args: never[]) => void): this {
    return super.once(ev, fn as (...args: unknown[]) => void);
  }

  /** The cell called `id`; RangeError when the simulator has no such cell. */
  cell(id: string): CellInfo {
    const c = this.cells.get(id);
    if (!c) throw new RangeError(`unknown cell ${String(id)}`);
    return { ...c };
  }

  /**
   * Add a gate the attach procedure waits for before the network confirms registration to the
   * modem (+CEREG): e.g. the RADIUS Accounting-Start being answered by the core. A real PGW/SMF
   * reports the session before the device can send data over it; without a gate the simulator
   * confirms at once. Returns a function that removes the gate.
   */
  addAttachGate(gate: (e: AttachEvent) => Promise<unknown>): () => void {
    this.gates.push(gate);
    return () => { this.gates = this.gates.filter((g) => g !== gate); };
  }

  /** Resolves when every gate has passed for the IMSI's latest attach (at once without gates).
   *  A gate that fails is reported through the 'gate-error' event and does not block the modem. */
  settled(imsi: string): Promise<void> {
    return this.pendingGates.get(imsi) ?? NO_GATE;
  }

  /** Every configured cell, in configuration order. */
  allCells(): CellInfo[] {
    return [...this.cells.values()].map((c) => ({ ...c }));
  }

  /**
   * A modem registers (or makes a location update) on a cell: keep or allocate the IMSI's
   * address, record the session and emit 'attach'. `homePlmn` comes from the SIM (it knows its
   * MNC length); without it the IMSI prefix is compared with the serving PLMN.
   */
  register(imsi: string, cellId: string, opts?: { homePlmn?: string }): { ip: string; cell: CellInfo; roaming: boolean } {
    if (typeof imsi !== 'string' || !/^[0-9]{6,15}$/.test(imsi)) throw new RangeError('imsi must be 6-15 digits');
    const cell = this.cell(cellId);
    const roaming = opts?.homePlmn !== undefined ? opts.homePlmn !== cell.plmn : !imsi.startsWith(cell.plmn);
    const ip = this.pool.addressOf(imsi);
    this.active.set(imsi, { imsi, ip, cell: cell.id });
    const e: AttachEvent = { imsi, ip, plmn: cell.plmn, cell: cell.id, tai: taiName(cell.plmn, cell.tac), at: this.now() };
    this.trace?.({ at: e.at, step: 201, actor: 'network', imsi, ev: 'attach', detail: `ip=${ip} plmn=${cell.plmn} cell=${cell.id}${roaming ? ' roaming' : ''}` });
    this.emit('attach', e);
    if (this.gates.length > 0) {
      const done = Promise.all(this.gates.map((g) => g(e))).then(
        () => undefined,
        (err: unknown) => { this.emit('gate-error', err); },
      );
      this.pendingGates.set(imsi, done);
    } else this.pendingGates.delete(imsi);
    return { ip, cell, roaming };
  }

  /** Ends the IMSI's session and emits 'detach'; no-op when it has none. */
  deregister(imsi: string): void {
    if (!this.active.delete(imsi)) return;
    const e: DetachEvent = { imsi, at: this.now() };
    this.trace?.({ at: e.at, step: 208, actor: 'network', imsi, ev: 'detach' });
    this.emit('detach', e);
  }

  /** The open sessions, in order of their first attach. */
  sessions(): Session[] {
    return [...this.active.values()].map((s) => ({ ...s }));
  }
}
