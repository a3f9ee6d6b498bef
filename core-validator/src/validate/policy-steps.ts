// Policy, quota and placement steps of the `prov` pipeline [step 204; issue 4 items 2-3]: the
// catalog offers every service in a version the template accepts; the subscription's plan allows
// one more provision of this size; an edge near the device is up and has the capacity.
import { SimedgeError } from '@simedge/device-sdk/wire';
import { needOf, place, type PlacementInput } from '../placement.js';
import { catalogDenies, planOf } from '../policy.js';
import { ACTIVE_STATES, type CoreStore } from '../store/types.js';
import { need, type ValidationStep } from './types.js';

export const catalogStep: ValidationStep = {
  name: 'catalog',
  run(env, acc) {
    for (const s of need(acc, 'template').svc) {
      const why = catalogDenies(env.policy, s.n, s.ver);
      if (why) throw new SimedgeError('POLICY_DENIED', why);
    }
  },
};

/** Per-subscription quotas: provisions holding edge resources, services per template. */
export const quotaStep: ValidationStep = {
  name: 'quota',
  async run(env, acc) {
    const plan = planOf(env.policy, need(acc, 'subscriber').plan);
    const t = need(acc, 'template');
    if (plan.maxServices !== undefined && t.svc.length > plan.maxServices) {
      throw new SimedgeError('QUOTA_EXCEEDED', `${t.svc.length} services > ${plan.maxServices}`);
    }
    if (plan.maxProvisions !== undefined) {
      const active = (await env.store.provisions({ imsi: env.msg.imsi })).filter((p) => ACTIVE_STATES.includes(p.state)).length;
      if (active >= plan.maxProvisions) throw new SimedgeError('QUOTA_EXCEEDED', `${active} active provisions, plan allows ${plan.maxProvisions}`);
    }
  },
};

/** Placement with capacity (placement.ts): NO_EDGE when no edge near the attach location is up,
 *  NO_CAPACITY when those that are up lack the resources the template's services ask for. */
export const placementStep: ValidationStep = {
  name: 'placement',
  async run(env, acc) {
    const a = need(acc, 'attach');
    const tables = await placementTables(env.store, a.tai !== undefined ? [a.cell, a.tai] : [a.cell]);
    const r = place({ ...tables, need: needOf(need(acc, 'template').svc), edges: env.edges.forPlacement() });
    if (!r.ok) throw new SimedgeError(r.code, r.reason);
    acc.edge = r.edge;
    acc.placement = r.record;
  },
};

/** The placement tables (cell/TAI map, cost table) for the location keys, read once so the
 *  placement function stays pure and synchronous. */
export async function placementTables(store: CoreStore, loc: string[]): Promise<Pick<PlacementInput, 'loc' | 'mapped' | 'costs'>> {
  const mapped = new Map<string, string>();
  const costs = new Map<string, { edge: string; cost: number }[]>();
  for (const l of loc) {
    const e = await store.edgeForCell(l);
    if (e !== undefined) mapped.set(l, e);
    costs.set(l, await store.edgeCosts(l));
  }
  return { loc, mapped: (l) => mapped.get(l), costs: (l) => costs.get(l) ?? [] };
}
