// The modem contract over an in-memory serial pair (hardware's duplexPair): every dialect of the
// emulator, no operating-system parts in between.
import { duplexPair } from '@simedge/hardware';
import { modemContract } from './modem-contract.js';

modemContract('an in-memory pair', async (modem) => {
  const [modemSide, host] = duplexPair();
  modem.connect(modemSide);
  return {
    host,
    close: async () => {
      modem.close();
      host.close();
    },
  };
});
