// On-disk layout of the artefact cache: `<dir>/sha256/<ab>/<hex>` (ab = first two hex digits, so no
// directory grows huge) and `<dir>/tmp/` for writes in progress. A file only ever appears under
// its digest by rename(2) from tmp/ after it was verified and fsynced, so a crash leaves at worst
// a stray temp file (removed on the next open), never a half file under a digest.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigestHex } from './digest.js';

export interface Entry {
  hex: string;
  bytes: number;
  /** Last use (ms), persisted as the file's mtime so LRU order survives restarts. */
  lastUsed: number;
}

export class Layout {
  readonly objects: string;
  readonly tmp: string;

  constructor(readonly dir: string) {
    this.objects = join(dir, 'sha256');
    this.tmp = join(dir, 'tmp');
  }

  pathOf(hex: string): string {
    return join(this.objects, hex.slice(0, 2), hex);
  }

  /** Create the folders and drop temp files a crash left behind (one cache per dir). */
  async prepare(): Promise<void> {
    await mkdir(this.objects, { recursive: true });
    await rm(this.tmp, { recursive: true, force: true });
    await mkdir(this.tmp, { recursive: true });
  }

  tempPath(): string {
    return join(this.tmp, `${randomBytes(8).toString('hex')}.part`);
  }

  /** Every well-named artefact on disk; anything else in the tree is ignored. */
  async scan(): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const ab of await readdir(this.objects)) {
      if (!/^[0-9a-f]{2}$/.test(ab)) continue;
      let names: string[];
      try {
        names = await readdir(join(this.objects, ab));
      } catch {
        continue;
      }
      for (const hex of names) {
        if (!isDigestHex(hex) || !hex.startsWith(ab)) continue;
        const st = await stat(join(this.objects, ab, hex)).catch(() => undefined);
        if (st?.isFile()) out.push({ hex, bytes: st.size, lastUsed: st.mtimeMs });
      }
    }
    return out;
  }

  /** Move a verified, fsynced temp file under its digest (atomic on one file system). */
  async commit(temp: string, hex: string): Promise<string> {
    const dest = this.pathOf(hex);
    const parent = join(this.objects, hex.slice(0, 2));
    await mkdir(parent, { recursive: true });
    await rename(temp, dest);
    // Persist the rename itself: without the directory fsync a power loss may forget it.
    const d = await open(parent, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    return dest;
  }
}
