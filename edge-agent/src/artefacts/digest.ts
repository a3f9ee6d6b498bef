// SHA-256 helpers of the artefact cache: the digest is the artefact's name (content addressing),
// always spelled as 64 lowercase hex digits on disk and in the API.
import { createHash, type Hash } from 'node:crypto';

const HEX = /^[0-9a-f]{64}$/;

export function isDigestHex(s: unknown): s is string {
  return typeof s === 'string' && HEX.test(s);
}

export function toHex(digest: Uint8Array): string {
  if (digest.length !== 32) throw new RangeError(`a SHA-256 digest has 32 bytes, got ${digest.length}`);
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex');
}

/** Throws RangeError unless `hex` is a digest as this module spells it. */
export function checkHex(hex: string): string {
  if (!isDigestHex(hex)) throw new RangeError(`not a SHA-256 hex digest: ${String(hex).slice(0, 80)}`);
  return hex;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function newHash(): Hash {
  return createHash('sha256');
}
