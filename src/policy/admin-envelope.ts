/**
 * What a tenant's NetworkPolicy can still open past a profile enforced in the
 * Admin tier: the Bypassed verdict judges only that part. Pure.
 *
 * The profile's Admin-tier object passes the profile's allowances to the
 * NetworkPolicies and denies every other pod (egress: every pod and every
 * address). So in a direction whose Pass rules admit exactly the pods the
 * profile's NetworkPolicy admits (no surplus, admin-render.ts), a tenant's
 * rule reaches nothing in the cluster beyond the profile; what it can still
 * open is ingress from outside the cluster, which the tier's ingress (pods
 * and namespaces only) never matches. The tenant's policy is judged as that
 * part of itself: each ingress rule as its ipBlock peers (a rule with no
 * `from` as every address), each egress rule as nothing. A direction with a
 * surplus is judged whole: a tenant may widen up to what is passed, and the
 * verdict says where (it may also name a widening the tier denies: it errs
 * towards Bypassed, never towards Isolated).
 */
import type { LabelSelector, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer } from "../k8s/objects.js";
import type { Surplus } from "./admin-render.js";

/** A peer that selects no pod and no address (a contradictory selector, decided exactly by selector-logic). */
const NOTHING_SELECTOR: LabelSelector = {
  matchExpressions: [
    { key: "netfence.io/unreachable", operator: "Exists" },
    { key: "netfence.io/unreachable", operator: "DoesNotExist" },
  ],
};
const NOTHING: NetworkPolicyPeer = { podSelector: NOTHING_SELECTOR };
const EVERY_ADDRESS: NetworkPolicyPeer[] = [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];

/** Which directions the Admin tier makes tenant-proof in the cluster: isolated there, with no surplus passed. */
export interface TenantProof {
  ingress: boolean;
  egress: boolean;
}

export function tenantProofOf(isolates: { ingress: boolean; egress: boolean }, surplus: Surplus): TenantProof {
  return { ingress: isolates.ingress && !surplus.ingress, egress: isolates.egress && !surplus.egress };
}

function ingressFromOutside(rule: NetworkPolicyIngressRule): NetworkPolicyIngressRule {
  if (!rule.from || rule.from.length === 0) return { ...rule, from: EVERY_ADDRESS };
  const blocks = rule.from.filter((p) => p.ipBlock !== undefined);
  return { ...rule, from: blocks.length ? blocks : [NOTHING] };
}

const reachesNothing = (rule: NetworkPolicyEgressRule): NetworkPolicyEgressRule => ({ ...rule, to: [NOTHING] });

/** The part of a tenant's NetworkPolicy the Admin tier leaves to it (rule indices kept, so the verdict names its rules). */
export function tenantReach(policy: NetworkPolicy, proof: TenantProof): NetworkPolicy {
  if (!proof.ingress && !proof.egress) return policy;
  const spec = { ...policy.spec };
  if (proof.ingress && spec.ingress) spec.ingress = spec.ingress.map(ingressFromOutside);
  if (proof.egress && spec.egress) spec.egress = spec.egress.map(reachesNothing);
  return { ...policy, spec };
}

/**
 * tenantReach with the same object back for the same input, so the verdict
 * memo (which compares policies by identity) re-judges only what changed.
 */
export class TenantReachMemo {
  private readonly seen = new WeakMap<NetworkPolicy, Map<string, NetworkPolicy>>();

  of(policy: NetworkPolicy, proof: TenantProof): NetworkPolicy {
    if (!proof.ingress && !proof.egress) return policy;
    const key = `${String(proof.ingress)}/${String(proof.egress)}`;
    let byProof = this.seen.get(policy);
    if (!byProof) this.seen.set(policy, (byProof = new Map<string, NetworkPolicy>()));
    let out = byProof.get(key);
    if (!out) byProof.set(key, (out = tenantReach(policy, proof)));
    return out;
  }
}
