// Provision, order and notification ids: 72 random bits each from a pooled CSPRNG buffer. Across
// several refills of the pool every id is well-formed (the wire's id pattern) and distinct.
import { describe, expect, it } from 'vitest';
import { newId } from '../src/ids.js';

describe('newId', () => {
  it('gives distinct ids of the wire pattern across pool refills', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newId((['p', 'o', 'n'] as const)[i % 3]!));
    for (const id of ids) expect(id).toMatch(/^[pon]-[A-Za-z0-9_-]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // The random part is not all one value (a stuck or unfilled pool would repeat zeros).
    expect(new Set(ids.map((id) => id.slice(2, 4))).size).toBeGreaterThan(100);
  });
});
