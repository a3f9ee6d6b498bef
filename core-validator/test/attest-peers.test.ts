// The broker peer log of network attestation: records match the exact bytes on the exact topic,
// in publish order, once each; they are bounded in number and age.
import { describe, expect, it } from 'vitest';
import { normaliseAddress, PeerLog } from '../src/attest/index.js';

const T = 'simedge/v1/d/240011234000001/up';
const b = (s: string) => new TextEncoder().encode(s);

describe('PeerLog', () => {
  it('matches topic + bytes, FIFO, each record once', () => {
    const log = new PeerLog();
    log.record(T, b('prov-1'), '127.100.0.7');
    log.record(T, b('prov-1'), '127.100.0.8');
    log.record(T, b('prov-2'), '127.100.0.9');
    expect(log.take('simedge/v1/d/240011234000002/up', b('prov-1'))).toBeUndefined();
    expect(log.take(T, b('prov-1'))).toBe('127.100.0.7');
    expect(log.take(T, b('prov-1'))).toBe('127.100.0.8');
    expect(log.take(T, b('prov-1'))).toBeUndefined();
    expect(log.take(T, b('prov-2'))).toBe('127.100.0.9');
    expect(log.size).toBe(0);
  });

  it('forgets records older than ttlMs and beyond max, oldest first', () => {
    const clock = { ms: 0 };
    const log = new PeerLog({ ttlMs: 1000, max: 2, now: () => clock.ms });
    log.record(T, b('a'), '127.0.0.1');
    clock.ms = 500;
    log.record(T, b('b'), '127.0.0.2');
    clock.ms = 700;
    log.record(T, b('c'), '127.0.0.3'); // over max: 'a' goes
    expect(log.size).toBe(2);
    expect(log.take(T, b('a'))).toBeUndefined();
    clock.ms = 1600; // 'b' (500) is older than the TTL now, 'c' (700) is not
    expect(log.take(T, b('b'))).toBeUndefined();
    expect(log.take(T, b('c'))).toBe('127.0.0.3');
  });

  it('stays bounded under a flood of records nobody takes', () => {
    const log = new PeerLog({ max: 100 });
    for (let i = 0; i < 5000; i++) log.record(T, b(`m${i}`), '127.0.0.1');
    expect(log.size).toBe(100);
    expect(log.take(T, b('m4999'))).toBe('127.0.0.1');
    expect(log.take(T, b('m0'))).toBeUndefined();
  });

  it('IPv4-mapped IPv6 peers compare as IPv4', () => {
    expect(normaliseAddress('::ffff:127.100.0.7')).toBe('127.100.0.7');
    expect(normaliseAddress('::1')).toBe('::1');
  });
});
