// Test helper for the device examples: the network-in-a-box world (real embedded broker, core
// validator, two edge agents, network simulator; examples/network-in-a-box/world.ts) without
// its demo devices, plus one SIM registered with the core and the example's own template
// (its template.yaml, with the fn.js beside it) signed by the world's manufacturer key.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTemplateSource } from '@simedge/device-sdk/tools';
import { startWorld, type World } from '../network-in-a-box/world.js';

export const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..');
/** A home cell of the demo network, served by edge-a. */
export const HOME_CELL = '01A2D101';

export interface ExampleWorld {
  world: World;
  sim: { imsi: string; iccid: string };
  /** The example's template.yaml, signed (COSE_Sign1 bytes). */
  template: Uint8Array;
  stop(): Promise<void>;
}

export async function exampleWorld(example: string, sim: { imsi: string; iccid: string }): Promise<ExampleWorld> {
  const world = await startWorld({ devices: [] });
  try {
    await world.core.store.addSubscriber({ imsi: sim.imsi, iccid: sim.iccid });
    const template = world.signTemplate(loadTemplateSource(join(EXAMPLES, example, 'template.yaml')));
    return { world, sim, template, stop: () => world.stop() };
  } catch (e) {
    await world.stop();
    throw e;
  }
}

/** Services still running on any edge and provisions not yet removed: both 0 after a clean switch-off. */
// `await` on the store's answers: they work whether the store answers at once or with a promise.
export async function leftovers(world: World): Promise<{ instances: number; live: number }> {
  const instances = [...world.edges.values()].reduce((n, e) => n + e.instances().length, 0);
  const live = (await world.core.store.provisions()).filter((p) => p.state !== 'REMOVED' && p.state !== 'FAILED' && p.state !== 'FAILED_TEMP').length;
  return { instances, live };
}
