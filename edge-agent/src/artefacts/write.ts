// Write bytes to a fresh temp file and fsync them, so a later rename publishes complete data.
import { open, rm } from 'node:fs/promises';

export async function atomicWrite(temp: string, bytes: Uint8Array): Promise<void> {
  const f = await open(temp, 'wx', 0o444);
  let ok = false;
  try {
    await f.writeFile(bytes);
    await f.sync();
    ok = true;
  } finally {
    await f.close();
    if (!ok) await rm(temp, { force: true });
  }
}
