// Retention (src/retention.ts): answered requests and finished provisions' orders are deleted by
// age, once at start and then periodically; a failing sweep is logged and retried, never fatal.
// Real SQLite store and a real core on the embedded broker.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type CoreStore } from '../src/index.js';
import { Retention } from '../src/retention.js';
import { IMSI, startWorld, type World } from './harness.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 15); // the harness clock
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('retention', () => {
  it('a starting core deletes answered requests older than retentionSec and keeps newer ones', async () => {
    const store = openStore('sqlite::memory:');
    await store.putReply(IMSI, 'hello', 'week-old', new Uint8Array([1]), NOW - 8 * DAY);
    await store.putReply(IMSI, 'hello', 'fresh', new Uint8Array([2]), NOW - DAY);
    w = await startWorld({ store, retentionSec: 2 * 86_400 });
    expect(await store.reply(IMSI, 'hello', 'week-old')).toBeUndefined();
    expect(await store.reply(IMSI, 'hello', 'fresh')).toEqual({ reply: new Uint8Array([2]) });
  });

  it('a sweep that fails is logged and the next one runs', async () => {
    const store = openStore('sqlite::memory:');
    // Failure injection over the real store: its sweep rejects until `fail` is cleared.
    let fail = true;
    const flaky = Object.create(store, {
      sweep: { value: (before: number) => (fail ? Promise.reject(new Error('disk full')) : store.sweep(before)) },
    }) as CoreStore;
    const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const r = new Retention({ store: flaky, now: () => NOW, retentionMs: DAY, log: (level, msg, fields) => { logged.push({ level, msg, fields }); } });
    try {
      await store.putReply(IMSI, 'hello', 'old', undefined, NOW - 2 * DAY);
      await r.start(); // resolves although the sweep failed
      expect(logged).toEqual([{ level: 'warn', msg: 'retention sweep failed', fields: { err: 'disk full' } }]);
      expect(await store.reply(IMSI, 'hello', 'old')).toEqual({ reply: undefined });
      fail = false;
      await r.kick();
      expect(await store.reply(IMSI, 'hello', 'old')).toBeUndefined();
      expect(logged[1]).toMatchObject({ level: 'info', msg: 'retention sweep', fields: { requests: 1, orders: 0 } });
    } finally {
      await r.stop();
      await store.close();
    }
  });
});
