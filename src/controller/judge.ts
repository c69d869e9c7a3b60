/**
 * The verdicts and the events of a pass: where the profile's policy is in
 * place, is it in effect (Isolated or Bypassed), and which namespaces changed
 * verdict since the previous pass.
 */
import { LIMITS } from "../api/constants.js";
import type { IsolationProfile, NamespaceStatus } from "../api/types.js";
import type { NetworkPolicy } from "../k8s/objects.js";
import { firstFew } from "../lib/first-few.js";
import type { ProfileRef } from "../policy/ownership.js";
import { memoryKey, refOf, type ReconcileDeps } from "./deps.js";
import type { PreviousPass } from "./in-place.js";
import type { TenantProof } from "../policy/admin-envelope.js";
import { proofIn, type EnforcementOutcome } from "../policy/status.js";

/**
 * Where the profile's policy is in place, is it in effect? Another policy in
 * the namespace that admits more than the profile makes the namespace
 * Bypassed, naming each widening rule.
 */
export function judgeEffectiveIsolation(profile: IsolationProfile, desired: readonly NetworkPolicy[], entries: Map<string, NamespaceStatus>, deps: ReconcileDeps, enforcement?: Pick<EnforcementOutcome, "proof" | "decidedElsewhere">): void {
  const ref = refOf(profile);
  for (const policy of desired) {
    const namespace = policy.metadata.namespace ?? "";
    const entry = entries.get(namespace);
    if (entry?.state !== "Isolated") continue;
    const judged = judge(ref, entry, policy, deps, proofIn(enforcement, namespace));
    if (judged !== entry) entries.set(namespace, judged);
  }
  deps.verdicts.prune(memoryKey(profile), entries);
}

/** "InCluster" when every direction the profile isolates is tenant-proof in the cluster, "Partial" when only some are. */
export function proofWord(proof: TenantProof | undefined, desired: NetworkPolicy): NamespaceStatus["tenantProof"] {
  if (!proof || (!proof.ingress && !proof.egress)) return undefined;
  const types = desired.spec.policyTypes ?? [];
  const whole = (!types.includes("Ingress") || proof.ingress) && (!types.includes("Egress") || proof.egress);
  return whole ? "InCluster" : "Partial";
}

/**
 * An Isolated entry as the namespace's policies leave it: the same entry, or
 * Bypassed naming the widening rules. `proof`: what the profile's Admin-tier
 * object makes tenant-proof; the tenants' policies are judged only on what it
 * leaves to them (admin-envelope.ts).
 */
export function judge(profile: ProfileRef, entry: NamespaceStatus, desired: NetworkPolicy, deps: ReconcileDeps, proof?: TenantProof): NamespaceStatus {
  const namespace = desired.metadata.namespace ?? "";
  const reach = deps.enforcement?.reach;
  const all = deps.policies.byNamespace(namespace);
  const policies = proof && reach && (proof.ingress || proof.egress) ? all.map((p) => reach.of(p, proof)) : all;
  const verdict = deps.verdicts.verdict(profile, desired, policies, deps.namespaces.get(namespace), deps.tiers?.policies());
  const word = proofWord(proof, desired);
  const proven = word ? { ...entry, tenantProof: word } : entry;
  if (verdict.state === "Isolated") return proven;
  const count = verdict.bypassedBy.length;
  const tier = verdict.bypassedBy.some((b) => !b.startsWith(`${namespace}/`));
  const where = word === "InCluster" ? " from outside the cluster (in-cluster traffic is tenant-proof: the Admin tier decides it)" : "";
  return {
    ...proven,
    state: "Bypassed",
    message: `${String(count)} rule${count === 1 ? "" : "s"} of other ${tier ? "policies (NetworkPolicies or the Admin tier)" : "NetworkPolicies"} admit${count === 1 ? "s" : ""} more than the profile${where}`,
    bypassedBy: verdict.bypassedBy.slice(0, LIMITS.bypassedBy),
  };
}

/** Events that report a change of state: recorded every time, never skipped as repeats. */
export const TRANSITION = { transition: true } as const;

/**
 * One Bypassed / BypassCleared event per pass that changes a namespace's
 * verdict; none while it stays. After a restart, namespaces the written status
 * did not list while it counted more bypassed ones than it listed may have been
 * Bypassed already: they get one event that says so, not a claimed transition.
 */
export function reportTransitions(profile: IsolationProfile, entries: Iterable<NamespaceStatus>, previous: Pick<PreviousPass, "state" | "maybeBypassed">, deps: ReconcileDeps): void {
  const bypassed: NamespaceStatus[] = [];
  const unsure: string[] = [];
  const cleared: string[] = [];
  for (const e of entries) {
    const before = previous.state(e.name);
    if (e.state === "Bypassed" && before !== "Bypassed") {
      if (previous.maybeBypassed(e.name)) unsure.push(e.name);
      else bypassed.push(e);
    } else if (e.state === "Isolated" && before === "Bypassed") cleared.push(e.name);
  }
  const [first] = bypassed;
  if (first) {
    const detail = bypassed.length === 1 ? `namespace ${first.name} is bypassed: ${first.bypassedBy?.join("; ") ?? ""}` : `${String(bypassed.length)} namespaces are bypassed: ${firstFew(bypassed.map((e) => e.name))}`;
    deps.events.record(profile, "Warning", "Bypassed", `Other NetworkPolicies admit more than the profile — ${detail}`, TRANSITION);
  }
  if (unsure.length) {
    const which = `${String(unsure.length)} namespace${unsure.length === 1 ? "" : "s"} the status did not list when this operator started`;
    deps.events.record(profile, "Warning", "Bypassed", `Other NetworkPolicies admit more than the profile in ${which} (bypassed before, or since): ${firstFew(unsure)}`, TRANSITION);
  }
  if (cleared.length) deps.events.record(profile, "Normal", "BypassCleared", `Isolated again: nothing beyond the profile reaches the isolated pods in ${firstFew(cleared)}`, TRANSITION);
}

