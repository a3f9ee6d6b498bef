// The modem contract over a real pseudo-terminal: the emulator behind socat's PTY, the SDK's Node
// adapter opening it with serialport (openSerial), exactly as it opens /dev/ttyUSB2 on a board.
// Needs socat (`apt-get install socat`); without it the suite fails and says so.
import { spawnSync } from 'node:child_process';
import { beforeAll, expect } from 'vitest';
import { startModemPty } from '@simedge/hardware';
import { openSerial } from '../../src/adapter/node/index.js';
import { modemContract } from './modem-contract.js';

beforeAll(() => {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8' });
  expect(r.error === undefined && r.status === 0, 'socat is not installed: the PTY modem contract needs it (apt-get install socat)').toBe(true);
});

modemContract('a real PTY (socat + serialport)', async (modem) => {
  const pty = await startModemPty({ modem });
  const host = await openSerial(pty.path);
  return {
    host,
    close: async () => {
      host.close();
      await pty.close();
    },
  };
});
