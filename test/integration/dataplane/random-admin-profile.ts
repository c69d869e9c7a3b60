/**
 * A seed's random IsolationProfile (randomProfileSpec) enforced in the Admin
 * tier as the controller enforces it: the AdminNetworkPolicy v1alpha1 that
 * renderAdminTier writes, at a priority none of the seed's random
 * AdminNetworkPolicies has (same-priority overlap is undefined upstream),
 * plus the residual NetworkPolicies, which the controller writes too.
 */
import { formatIssues, parseProfile } from "../../../src/api/parse.js";
import type { Namespace, NetworkPolicy } from "../../../src/k8s/objects.js";
import { prng } from "../../../src/lib/prng.js";
import { renderAdminTier } from "../../../src/policy/admin-render.js";
import { randomProfileSpec, type TEAMS } from "./random-cluster.js";
import type { TierObject } from "./random-tiers.js";

export interface AdminProfileRender {
  spec: Record<string, unknown>;
  priority: number;
  /** undefined: the profile selects no namespace (then nothing is in the Admin tier). */
  object: TierObject | undefined;
  residual: NetworkPolicy[];
  notes: string[];
}

/** A priority in 0–99 that no AdminNetworkPolicy of `tiers` has: the profile decides before, between or after them. */
function freePriority(seed: number, tiers: readonly TierObject[]): number {
  const taken = new Set(tiers.flatMap((t) => (t.kind === "AdminNetworkPolicy" ? [(t.spec as { priority: number }).priority] : [])));
  const free = Array.from({ length: 100 }, (_, p) => p).filter((p) => !taken.has(p));
  return free[Math.floor(prng(seed ^ 0x68e31da4)() * free.length)] ?? 100;
}

/** The seed's profile in the Admin tier, or why it is left out (an invalid spec, a render that does not fit). */
export function randomAdminProfile(seed: number, names: Record<(typeof TEAMS)[number], string>, namespaces: readonly Namespace[], tiers: readonly TierObject[]): AdminProfileRender | { invalid: string } {
  const priority = freePriority(seed, tiers);
  const spec = { ...randomProfileSpec(seed, names), enforcement: "AdminTier", priority };
  const parsed = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: `random-${String(seed)}` }, spec });
  if (!parsed.ok) return { invalid: formatIssues(parsed.issues) };
  const render = renderAdminTier(parsed.value, namespaces, "AdminNetworkPolicy/v1alpha1");
  if (!render.ok) return { invalid: formatIssues(render.issues) };
  return { spec, priority, object: render.object as TierObject | undefined, residual: render.residual, notes: render.notes };
}
