// Board profiles are data the examples and docs rely on: every profile names an emulator dialect
// that exists, a UART with a baud rate, power-key pulse lengths and at least one source.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../src/index.js';

interface Board {
  id: string;
  emulate: { dialect: string; command: string };
  uart: { baud: number; tx: string };
  power: { on: { pulseMs: number }; off: { pulseMs: number } };
  sources: string[];
  wiring: string[];
}

const dir = join(import.meta.dirname, '..', 'boards');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('board profiles', () => {
  it('has the three reference boards', () => {
    expect(files.sort()).toEqual(['esp32-moddable-bg95.json', 'espruino-pico-sim7080.json', 'rpi-sim7600-hat.json']);
  });
  for (const f of files) {
    it(`${f}: dialect, UART, power-key timings and sources`, () => {
      const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Board;
      expect(p.id).toBe(f.replace(/\.json$/, ''));
      expect(DIALECTS).toContain(p.emulate.dialect);
      expect(p.emulate.command).toContain(`--dialect ${p.emulate.dialect} --pty`);
      expect(p.uart.baud).toBe(115200);
      expect(typeof p.uart.tx).toBe('string');
      expect(p.power.on.pulseMs).toBeGreaterThan(0);
      expect(p.power.off.pulseMs).toBeGreaterThan(p.power.on.pulseMs - 1);
      expect(p.sources.length).toBeGreaterThan(0);
      expect(p.wiring.length).toBeGreaterThan(0);
    });
  }
});
