// Shared set-up of the agent end-to-end test files: one real aedes broker per file, a clean-up list
// run newest first after each test, and a fresh edge (a FakeCore on the broker plus an EdgeAgent
// trusting it) per test. Call agentHarness() once at the top level of a test file: it registers
// the file's beforeAll / afterEach / afterAll hooks itself.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@simedge/core-validator/broker';
import { EdgeAgent, type EdgeOptions } from '../src/index.js';
import { FakeCore, uid } from './helpers.js';

export interface AgentHarness {
  /** The file's broker (set once beforeAll ran). */
  readonly broker: EmbeddedBroker;
  /** Run `f` after the current test, newest first. */
  defer(f: () => Promise<void> | void): void;
  /** A FakeCore for `edge` on the broker, closed after the test. */
  core(edge: string): Promise<FakeCore>;
  /** An agent for `edge` trusting `core` with the file's defaults and `over`: not started, not cleaned up. */
  agentFor(edge: string, core: FakeCore, over?: Partial<EdgeOptions>): EdgeAgent;
  /** A fresh edge id, its FakeCore and its started agent; both end after the test. */
  setup(over?: Partial<EdgeOptions>): Promise<{ edge: string; core: FakeCore; agent: EdgeAgent }>;
}

/** `defaults` apply to every agent of the file (cells defaults to one cell). */
export function agentHarness(defaults: Partial<EdgeOptions> = {}): AgentHarness {
  let broker: EmbeddedBroker | undefined;
  const cleanup: Array<() => Promise<void> | void> = [];
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  afterAll(async () => {
    await broker?.close();
  });
  const h: AgentHarness = {
    get broker(): EmbeddedBroker {
      if (!broker) throw new Error('agentHarness: the broker starts in beforeAll');
      return broker;
    },
    defer: (f) => void cleanup.push(f),
    async core(edge) {
      const core = await FakeCore.connect(h.broker.url, edge);
      cleanup.push(() => core.close());
      return core;
    },
    agentFor: (edge, core, over = {}) =>
      new EdgeAgent({ id: edge, brokerUrl: h.broker.url, coreKeys: core.trusted, cells: ['24001-0001'], ...defaults, ...over }),
    async setup(over = {}) {
      const edge = uid('edge');
      const core = await h.core(edge);
      const agent = h.agentFor(edge, core, over);
      await agent.start();
      cleanup.push(() => agent.stop());
      return { edge, core, agent };
    },
  };
  return h;
}
