// `simedge edge status` through the simedge command tree (in-process main()), against a real
// embedded broker and a real edge agent's retained status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { generateKeyPair } from '@simedge/device-sdk/wire';
import { main } from '@simedge/device-sdk/tools';
import { EdgeAgent } from '../src/index.js';

let broker: EmbeddedBroker;
let edge: EdgeAgent;
beforeAll(async () => {
  broker = await startEmbeddedBroker();
  edge = new EdgeAgent({ id: 'edge-t', brokerUrl: broker.url, coreKeys: [{ kid: 'k', publicKey: generateKeyPair().publicKey }], cells: ['01A2D101'], log: () => undefined });
  await edge.start();
});
afterAll(async () => {
  await edge.stop();
  await broker.close();
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, cwd: process.cwd() });
  return { code, out, err };
}

describe('simedge edge status (command tree)', () => {
  it('prints the retained status of the named edge as JSON', async () => {
    const r = await run(['edge', 'status', 'edge-t', '--broker', broker.url, '--json']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out.trim()) as { edge: string; online: boolean; cells: string[] };
    expect(s).toMatchObject({ edge: 'edge-t', online: true, cells: ['01A2D101'] });
  });

  it('is a usage error without --broker (exit 2)', async () => {
    const r = await run(['edge', 'status']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--broker is required');
  });
});
