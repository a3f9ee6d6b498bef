// A minimal ustar writer for image build contexts: regular files only, streamed from disk, no
// compression. The build context here is ~100 MB (the node binary); gzip would cost seconds on
// every build for a transfer over a local socket, and a tar dependency for this much is not
// worth it. [POSIX.1-2017 pax, "ustar Interchange Format"]
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** One file of the archive: its path inside the archive and where its bytes come from. */
export interface TarEntry {
  /** Relative path inside the archive, `/`-separated, at most 100 bytes (no prefix field used). */
  name: string;
  /** Host file to stream, or the bytes themselves. */
  source: string | Uint8Array;
  size: number;
  /** Permission bits, e.g. 0o755. */
  mode: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  // width - 1 digits then NUL, as ustar readers expect.
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** The 512-byte ustar header of one regular file. */
export function tarHeader(e: TarEntry): Buffer {
  const name = Buffer.from(e.name, 'utf8');
  if (name.length === 0 || name.length > 100) throw new RangeError(`tar: name must be 1..100 bytes: ${e.name}`);
  if (!Number.isSafeInteger(e.size) || e.size < 0 || e.size >= 8 ** 11) throw new RangeError(`tar: bad size for ${e.name}`);
  const h = Buffer.alloc(BLOCK, 0);
  name.copy(h, 0);
  h.write(octal(e.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(e.size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime 0: the same inputs give the same archive
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

async function* chunks(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield tarHeader(e);
    let written = 0;
    if (typeof e.source === 'string') {
      for await (const c of createReadStream(e.source)) {
        const b = c as Buffer;
        written += b.length;
        yield b;
      }
    } else {
      written = e.source.length;
      yield Buffer.from(e.source);
    }
    // A file that changed size while we read it would corrupt every following entry.
    if (written !== e.size) throw new Error(`tar: ${e.name} changed size while archiving`);
    const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad, 0);
  }
  yield Buffer.alloc(2 * BLOCK, 0); // end of archive
}

/** Stream an uncompressed tar archive of `entries`, in the given order. */
export function tarStream(entries: TarEntry[]): Readable {
  return Readable.from(chunks(entries), { objectMode: false });
}
