// Random identifiers for provisions and orders. 72 random bits in base64url fit the wire's id
// pattern [A-Za-z0-9_.:-]{1,64} and cannot be guessed by a device or another edge.
import { randomBytes } from 'node:crypto';

export function newId(prefix: 'p' | 'o' | 'n'): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}
