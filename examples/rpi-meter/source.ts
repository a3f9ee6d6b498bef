// Where the meter value comes from. A Raspberry Pi has no meter input of its own, so this is a
// stand-in, said plainly: either a file that another process keeps up to date (a pulse counter on
// a GPIO, a Modbus/M-Bus poller, `echo 1234.5 > /run/meter/kwh`), or a simulated counter that
// grows by a fixed step per reading, for benches and demos.
import { readFile } from 'node:fs/promises';
import { SimedgeError } from '@simedge/device-sdk/wire';

export type MeterSource = () => Promise<number>;

/** Reads a decimal number (kWh) from the file at every call. */
export function fileSource(path: string): MeterSource {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new SimedgeError('INPUT_UNREADABLE', `${path}: ${(e as Error).message}`);
    }
    const v = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new SimedgeError('INPUT_INVALID', `${path}: not a meter reading: ${JSON.stringify(text.slice(0, 40))}`);
    return v;
  };
}

/** A simulated counter: start, start + step, start + 2·step, … (kWh, rounded to Wh). */
export function counterSource(start = 1000, step = 0.25): MeterSource {
  let n = 0;
  return async () => Math.round((start + step * n++) * 1000) / 1000;
}
