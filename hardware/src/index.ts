// simedge hardware test bench: an in-memory serial link, the emulated modem with its SIM, and the
// network simulator that reports attach/detach events to the core.
export { duplexPair } from './duplex.js';
export { type SimProfile, type PinState, homePlmn } from './sim.js';
export { NetworkSim, type CellInfo, type Session, type NetworkSimOptions } from './network.js';
export { ModemEmulator, type ModemEmulatorOptions } from './modem/emulator.js';
