// Shared test fixtures: a small radio network (two home cells of PLMN 244-05, one visited cell of
// 240-01, one 3-digit-MNC cell 310-410) and a rig wiring an emulated modem to a Host over duplexPair.
import type { TraceEvent } from '@simedge/device-sdk/wire';
import { ModemEmulator, NetworkSim, duplexPair, type CellInfo, type SimProfile } from '../src/index.js';
import { Host } from './host.js';

export const CELLS: CellInfo[] = [
  { id: 'home-1', plmn: '24405', tac: '0A01', ci: '01A2D101' },
  { id: 'home-2', plmn: '24405', tac: '0A02', ci: '01A2D102' },
  { id: 'visited', plmn: '24001', tac: '0B01', ci: '2B3E201' },
  { id: 'us', plmn: '310410', tac: '1C01', ci: '0C4F3011' },
];

export const SIM: SimProfile = { imsi: '244051234567890', iccid: '8935805123456789012' };

export interface Rig { network: NetworkSim; modem: ModemEmulator; host: Host; traces: TraceEvent[] }

export function rig(o: { sim?: SimProfile; cell?: string; echo?: boolean } = {}): Rig {
  const traces: TraceEvent[] = [];
  let t = 1_764_000_000_000;
  const now = () => ++t;
  const network = new NetworkSim({ cells: CELLS, trace: (e) => traces.push(e), now });
  const [modemSide, hostSide] = duplexPair();
  const modem = new ModemEmulator({
    sim: o.sim ?? SIM, network, cell: o.cell ?? 'home-1', trace: (e) => traces.push(e), now,
    ...(o.echo === undefined ? {} : { echo: o.echo }),
  });
  modem.connect(modemSide);
  return { network, modem, host: new Host(hostSide), traces };
}
