// Random identifiers for provisions and orders. 72 random bits in base64url fit the wire's id
// pattern [A-Za-z0-9_.:-]{1,64} and cannot be guessed by a device or another edge.
import { randomFillSync } from 'node:crypto';

// One CSPRNG call per 455 ids instead of one each (a call costs more than the bytes).
const pool = Buffer.alloc(4095);
let used = pool.length;

export function newId(prefix: 'p' | 'o' | 'n'): string {
  if (used + 9 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const id = pool.toString('base64url', used, used + 9);
  used += 9;
  return `${prefix}-${id}`;
}
