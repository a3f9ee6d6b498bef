// Shared set-up of the test files that run the SDK against the hardware/ modem emulator over an
// in-memory link: a modem camped on one home cell, an embedded aedes broker, and a clean-up list
// run newest first after each test. Call emulatorRig() once at the top level of a test file: it
// registers the afterEach hook itself.
import { afterEach } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { ModemEmulator, NetworkSim, duplexPair, type ModemEmulatorOptions } from '@simedge/hardware';
import type { ByteStream } from '../src/core/stream.js';

export const HOME_CELL = { id: 'home-1', plmn: '24405', tac: '0A01', ci: '01A2D101' };

export interface EmulatorRig {
  /** Run `f` after the current test, newest first (before the broker closes). */
  defer(f: () => unknown): void;
  /** An embedded broker for this test, closed after it. */
  broker(): Promise<EmbeddedBroker>;
  /** A modem on HOME_CELL connected to `host`, the SDK's end of an in-memory link; closed after the test. */
  modem(opts: Omit<ModemEmulatorOptions, 'network' | 'cell'>): { modem: ModemEmulator; host: ByteStream };
}

export function emulatorRig(): EmulatorRig {
  const cleanups: Array<() => unknown> = [];
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await broker?.close();
    broker = undefined;
  });
  return {
    defer: (f) => void cleanups.push(f),
    async broker() {
      broker = await startEmbeddedBroker();
      return broker;
    },
    modem(opts) {
      const network = new NetworkSim({ cells: [HOME_CELL] });
      const [modemSide, host] = duplexPair();
      const modem = new ModemEmulator({ ...opts, network, cell: HOME_CELL.id });
      modem.connect(modemSide);
      cleanups.push(() => modem.close());
      return { modem, host };
    },
  };
}
