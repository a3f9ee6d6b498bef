// simedge hardware test bench: an in-memory serial link, the emulated modem (generic TS 27.007
// and the vendor dialects) with its SIM and IoT SAFE applet, the network simulator that reports
// attach/detach events to the core, and the modem on a real pseudo-terminal.
export { duplexPair } from './duplex.js';
export { type SimProfile, type PinState, homePlmn } from './sim.js';
export { NetworkSim, type CellInfo, type Session, type NetworkSimOptions } from './network.js';
export { ModemEmulator, type ModemEmulatorOptions } from './modem/emulator.js';
export { DIALECTS, type DialectName } from './modem/dialects/index.js';
export { mulberry32, REALISTIC_TIMINGS, type Latency, type ModemFaults, type ModemTimings } from './modem/faults.js';
export { IOT_SAFE_AID, type SignatureFormat } from './uicc/iot-safe.js';
export { startModemPty, type ModemPty, type ModemPtyOptions } from './pty.js';
export { exportAccounting, type AccountingExport, type AccountingExportOptions, type AccountingExportStats } from './network-radius.js';
