// Modem-internal MQTT transports (reference/at-commands.md: Quectel QMT, SIMCom CMQTT and SM,
// u-blox UMQTT) against scripted modems over an in-memory pair with a loopback broker (see
// core-transport-fakes.ts for why they are scripted): binary payloads both ways, receive URCs split
// at every byte offset, CMQTT payload chunks, link loss with reconnect and with giving up.
import { describe, expect, it } from 'vitest';
import { AtEngine } from '../src/core/at/engine.js';
import { modemMqtt, type ModemMqttOptions } from '../src/core/transport/index.js';
import { readQuoted } from '../src/core/transport/quoted.js';
import type { ModemMqttTransport } from '../src/core/transport/types.js';
import { nodePlatform } from '../src/adapter/node/platform.js';
import { memoryPair } from './core-pair.js';
import { Queue } from './waiters.js';
import { FakeMqttModem, LoopBroker, type DialectName, type FakeOptions } from './core-transport-fakes.js';

const TOPIC = 'simedge/v1/d/240011234000001/down';
/** NUL, CR LF, Ctrl-Z, `> ` (a prompt look-alike), a quote and 0xFF. */
const NASTY = new Uint8Array([0x00, 0x0d, 0x0a, 0x1a, 0x3e, 0x20, 0x22, 0xff, 0x3e, 0x0d, 0x0a, 0x2c, 0x41]);
/** Lone CR and lone LF: raw receive forms rebuild them from the line terminator the engine reports. */
const LONE = new Uint8Array([0x0a, 0x41, 0x0d, 0x42, 0x0d, 0x0d, 0x0a, 0x0a, 0x3e, 0x20, 0x00, 0x1a]);
const DIALECTS: DialectName[] = ['quectel', 'sim7600', 'sim7080', 'sara'];

async function setup(dialect: DialectName, fo: FakeOptions = {}, so: ModemMqttOptions = {}) {
  const [a, b] = memoryPair();
  const broker = new LoopBroker();
  const fake = new FakeMqttModem(b, dialect, broker, fo);
  const at = new AtEngine(a, nodePlatform, { defaultTimeoutMs: 2000, maxLine: 20000 });
  const notes: string[] = [];
  const t: ModemMqttTransport = modemMqtt(at, nodePlatform, dialect, {
    connectTimeoutMs: 2000, opTimeoutMs: 2000, backoff: { baseMs: 2, maxMs: 10, attempts: 3 }, note: (s) => notes.push(s), ...so,
  });
  const inbox = new Queue<Uint8Array>();
  await t.connect('broker.example', 1883, '240011234000001');
  await t.subscribe(TOPIC, inbox.push);
  return { fake, broker, at, t, inbox, notes };
}

describe.each(DIALECTS)('modem MQTT transport: %s', (dialect) => {
  it('publishes and receives binary payloads byte for byte', async () => {
    const { t, inbox, broker } = await setup(dialect);
    expect(t.state).toBe('up');
    await t.publish(TOPIC, NASTY);
    expect(broker.published[0]?.payload).toEqual(NASTY);
    expect(await inbox.next()).toEqual(NASTY);
    await t.publish(TOPIC, LONE);
    expect(await inbox.next()).toEqual(LONE);
    await t.close();
    expect(t.state).toBe('closed');
  });

  it('parses the receive URCs split at every byte offset', async () => {
    const { fake, inbox } = await setup(dialect);
    const whole = fake.receiveBytes(TOPIC, NASTY).length;
    for (let k = 1; k < whole; k++) {
      if (dialect === 'sara') fake.readSplit = k;
      fake.deliver(TOPIC, NASTY, k);
      expect(await inbox.next(), `split at ${k}`).toEqual(NASTY);
    }
  });

  it('works when the modem sends one byte at a time', async () => {
    const { t, inbox } = await setup(dialect, { chunk: 1 });
    await t.publish(TOPIC, NASTY);
    expect(await inbox.next()).toEqual(NASTY);
  });

  it('reconnects after a link-loss URC and re-subscribes', async () => {
    const { fake, t, inbox } = await setup(dialect);
    const causes: string[] = [];
    t.onLinkLost((c) => causes.push(c));
    const opens = fake.commands.length;
    fake.dropLink();
    // A publish during the outage waits for the new connection instead of failing.
    await t.publish(TOPIC, NASTY);
    expect(causes.length).toBe(1);
    expect(t.state).toBe('up');
    expect(fake.commands.length).toBeGreaterThan(opens);
    expect(await inbox.next()).toEqual(NASTY); // delivered because the topic was re-subscribed
  });

  it('gives up after the last attempt: LINK_LOST to callers and onFail', async () => {
    const { fake, t } = await setup(dialect);
    fake.refuse = true;
    const failed = new Promise<Error>((resolve) => t.onFail(resolve));
    fake.dropLink();
    await expect(t.publish(TOPIC, NASTY)).rejects.toMatchObject({ code: 'LINK_LOST' });
    expect(await failed).toMatchObject({ code: 'LINK_LOST' });
    expect(t.state).toBe('failed');
    await expect(t.publish(TOPIC, NASTY)).rejects.toMatchObject({ code: 'LINK_LOST' });
  });
});

describe('modem MQTT transport: errors and dialect specifics', () => {
  it('fails connect with MODEM_MQTT_CONNECT and can try again', async () => {
    for (const d of DIALECTS) {
      const [a, b] = memoryPair();
      const fake = new FakeMqttModem(b, d, new LoopBroker());
      fake.refuse = true;
      const t = modemMqtt(new AtEngine(a, nodePlatform, { defaultTimeoutMs: 2000 }), nodePlatform, d, { connectTimeoutMs: 2000 });
      await expect(t.connect('broker.example', 1883, 'dev1'), d).rejects.toMatchObject({ code: 'MODEM_MQTT_CONNECT' });
      fake.refuse = false;
      await t.connect('broker.example', 1883, 'dev1');
      expect(t.state, d).toBe('up');
    }
  });

  it('rejects hostile arguments with TypeError and never sends them', async () => {
    const { t, fake } = await setup('quectel');
    const n = fake.commands.length;
    expect(() => t.publish('a"b', NASTY)).toThrow(TypeError);
    expect(() => t.publish('a\rb', NASTY)).toThrow(TypeError);
    expect(() => t.subscribe('', () => undefined)).toThrow(TypeError);
    expect(() => t.subscribe(TOPIC, 'x' as unknown as () => void)).toThrow(TypeError);
    expect(fake.commands.length).toBe(n);
    const [a] = memoryPair();
    const fresh = modemMqtt(new AtEngine(a, nodePlatform), nodePlatform, 'sim7080');
    expect(() => fresh.connect('host",1', 1883, 'x')).toThrow(TypeError);
    expect(() => fresh.connect('host', 70000, 'x')).toThrow(TypeError);
    expect(() => modemMqtt(new AtEngine(a, nodePlatform), nodePlatform, 'generic')).toThrow(TypeError);
  });

  it('SIM7600: a payload over 1500 bytes arrives in several +CMQTTRXPAYLOAD chunks', async () => {
    const { t, inbox, fake } = await setup('sim7600');
    const big = new Uint8Array(4000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 13) & 0xff;
    expect(new TextDecoder('latin1').decode(fake.receiveBytes(TOPIC, big)).match(/\+CMQTTRXPAYLOAD: 0,/g)?.length).toBe(3);
    await t.publish(TOPIC, big);
    expect(await inbox.next()).toEqual(big);
  });

  it('SIM7600: an out-of-sequence receive block is dropped and the next message still arrives', async () => {
    const { fake, inbox, notes } = await setup('sim7600');
    fake.write('\r\n+CMQTTRXPAYLOAD: 0,3\r\nabc\r\n+CMQTTRXEND: 0\r\n');
    fake.deliver(TOPIC, NASTY);
    expect(await inbox.next()).toEqual(NASTY);
    expect(notes.some((n) => n.includes('out of sequence'))).toBe(true);
  });

  it('Quectel without hex receive: CR LF and lone CR / LF inside a raw payload are restored', async () => {
    const { t, inbox, notes, fake } = await setup('quectel', { qmtHex: false });
    expect(fake.commands).toContain('AT+QMTCFG="dataformat",0,0,1');
    await t.publish(TOPIC, NASTY);
    expect(await inbox.next()).toEqual(NASTY);
    await t.publish(TOPIC, LONE); // the engine reports the line terminator to the URC handler
    expect(await inbox.next()).toEqual(LONE);
    await t.publish(TOPIC, NASTY);
    expect(await inbox.next()).toEqual(NASTY);
    expect(notes.filter((n) => n.includes('dropped'))).toEqual([]);
  });

  it('SARA: a message announced while a read is in flight (its +UUMQTTC: 6 before the read\'s OK) is read too', async () => {
    const { fake, inbox } = await setup('sara');
    const second = NASTY.slice().reverse();
    fake.midRead = () => fake.deliver(TOPIC, second);
    fake.deliver(TOPIC, NASTY);
    expect(await inbox.next()).toEqual(NASTY);
    expect(await inbox.next()).toEqual(second); // before: left unread until some later message
  });

  it('a publish the modem reports failed rejects with MODEM_MQTT_PUBLISH', async () => {
    const { fake, t } = await setup('quectel');
    fake.connected = false; // the fake answers +QMTPUB: 0,<id>,2
    await expect(t.publish(TOPIC, NASTY)).rejects.toMatchObject({ code: 'MODEM_MQTT_PUBLISH' });
  });

  it('readQuoted: restores a line break inside the payload from the block that follows', () => {
    // A stub engine: records the expectBytes request (the real framer is exercised above).
    let want: { n: number; fn: (b: Uint8Array) => void } | undefined;
    const at = { expectBytes: (n: number, fn: (b: Uint8Array) => void) => { want = { n, fn }; } } as unknown as AtEngine;
    const run = (line: string, term: number | undefined, block: string): Uint8Array | string => {
      let out: Uint8Array | string = 'none';
      want = undefined;
      readQuoted(at, line, 3, 5, term, (b) => { out = b; }, (why) => { out = why; });
      const w = want as { n: number; fn: (b: Uint8Array) => void } | undefined; // set inside readQuoted
      if (w) w.fn(Uint8Array.from(block, (c) => c.charCodeAt(0)));
      return out;
    };
    expect(run('+X"abcde"', undefined, '')).toEqual(Uint8Array.from([97, 98, 99, 100, 101]));
    expect(run('+X"ab', 13, 'd"\r')).toEqual(Uint8Array.from([97, 98, 13, 10, 100])); // CR LF swallowed by the framer
    expect(run('+X"ab', 10, 'de"')).toEqual(Uint8Array.from([97, 98, 10, 100, 101])); // lone LF, terminator known
    expect(run('+X"ab', 13, 'de"')).toEqual(Uint8Array.from([97, 98, 13, 100, 101])); // lone CR, terminator known
    expect(run('+X"ab', undefined, 'de"')).toMatch(/lone CR or LF/); // not guessed
    expect(run('+X"abcdef"', undefined, '')).toMatch(/longer/);
    expect(run('+X"ab', 10, 'dex')).toMatch(/closing quote/);
  });
});
