// The core's policy [issue 4 item 2 "policy"; DESIGN "Trust"]: whether an IoT SAFE proof is
// required, which services and versions the operator offers, the default plan (quotas) of a
// subscription without its own, and the operational windows (lease, roaming grace).
// `makePolicy` checks an operator-supplied object once, at start-up, with TypeError/RangeError.
import { parseRange, parseVersion, satisfies as satisfiesVersion } from './semver.js';
import type { Plan } from './store/types.js';

export interface Policy {
  /** Refuse a `prov` without a valid IoT SAFE proof (BAD_SIM_PROOF). Default false: a proof is
   *  checked when the device sends one and a key is registered, and network attestation suffices. */
  requireSimProof: boolean;
  /** Service name -> versions the edges offer (MAJOR.MINOR.PATCH). Absent = any service. A
   *  template service passes when one listed version satisfies its `ver` range. */
  catalog?: Record<string, string[]>;
  /** Quotas of a subscription that has no plan of its own (limits absent = unlimited). */
  defaultPlan: Plan;
  /** Lease of every accepted provision, seconds; absent = no lease. */
  leaseSec?: number;
  /** After an attach where another edge is nearer, the device has this long to re-provision
   *  (make-before-break) before its old provision is torn down with `term {why: 'roam'}`. */
  roamGraceSec: number;
}

export type PolicyOptions = Partial<Policy>;

function positive(v: number | undefined, name: string): void {
  if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new RangeError(`policy.${name} must be a positive number`);
}

const PLAN_KEYS: readonly string[] = ['maxProvisions', 'maxServices'];
const POLICY_KEYS: readonly string[] = ['requireSimProof', 'catalog', 'defaultPlan', 'leaseSec', 'roamGraceSec'];

/** An operator's typo must not pass as "no limit" or "no proof required": unknown fields are refused. */
function onlyKeys(o: unknown, name: string, keys: readonly string[]): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError(`${name} must be an object`);
  const unknown = Object.keys(o).filter((k) => !keys.includes(k));
  if (unknown.length) throw new TypeError(`${name}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${keys.join(', ')})`);
}

export function checkPlan(p: Plan, name = 'plan'): Plan {
  onlyKeys(p, name, PLAN_KEYS);
  for (const k of ['maxProvisions', 'maxServices'] as const) {
    const v = p[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new RangeError(`${name}.${k} must be a whole number >= 0`);
  }
  return { ...p };
}

export function makePolicy(o: PolicyOptions = {}): Policy {
  onlyKeys(o, 'policy', POLICY_KEYS);
  if (o.requireSimProof !== undefined && typeof o.requireSimProof !== 'boolean') throw new TypeError('policy.requireSimProof must be true or false');
  positive(o.leaseSec, 'leaseSec');
  positive(o.roamGraceSec, 'roamGraceSec');
  const p: Policy = {
    requireSimProof: o.requireSimProof === true,
    defaultPlan: checkPlan(o.defaultPlan ?? {}, 'policy.defaultPlan'),
    roamGraceSec: o.roamGraceSec ?? 30,
  };
  if (o.leaseSec !== undefined) p.leaseSec = o.leaseSec;
  if (o.catalog !== undefined) {
    if (typeof o.catalog !== 'object' || o.catalog === null || Array.isArray(o.catalog)) throw new TypeError('policy.catalog must map service names to version lists');
    const cat: Record<string, string[]> = {};
    for (const [n, versions] of Object.entries(o.catalog)) {
      if (!Array.isArray(versions)) throw new TypeError(`policy.catalog.${n} must list versions`);
      for (const v of versions) if (typeof v !== 'string' || !parseVersion(v)) throw new TypeError(`policy.catalog.${n}: "${String(v)}" is not MAJOR.MINOR.PATCH`);
      cat[n] = [...versions];
    }
    p.catalog = cat;
  }
  return p;
}

/** Effective limits of a subscription: its own plan, then the policy's default plan. */
export function planOf(policy: Policy, own: Plan | undefined): Plan {
  return { ...policy.defaultPlan, ...stripUndefined(own ?? {}) };
}

function stripUndefined(p: Plan): Plan {
  const out: Plan = {};
  if (p.maxProvisions !== undefined) out.maxProvisions = p.maxProvisions;
  if (p.maxServices !== undefined) out.maxServices = p.maxServices;
  return out;
}

/** Is the template's range for `service` offered by the catalog? (why not, when it is not) */
export function catalogDenies(policy: Policy, service: string, range: string | undefined): string | undefined {
  const cat = policy.catalog;
  if (!cat) return undefined;
  const versions = Object.prototype.hasOwnProperty.call(cat, service) ? cat[service] : undefined;
  if (!versions) return `service ${service} is not in the catalog`;
  if (range === undefined) return undefined;
  if (!parseRange(range)) return `service ${service}: "${range}" is not a version range`;
  if (!versions.some((v) => satisfiesVersion(v, range))) return `service ${service}: no catalog version satisfies ${range}`;
  return undefined;
}
