/**
 * Effective-isolation verdicts per profile and namespace, re-computed only
 * when their inputs change: the profile's desired policy (one frozen spec per
 * generation), the namespace's labels and its NetworkPolicies as the cache
 * holds them (the informer replaces an object when it changes, so identity is
 * the version), and the Admin-tier policies (the same array while none changed).
 * A change to one policy re-evaluates its own namespace; every other namespace
 * of the pass is a lookup.
 */
import { bypassVerdict, formatBypass, type NamespaceVerdict } from "../policy/bypass.js";
import type { Labels, Namespace, NetworkPolicy } from "../k8s/objects.js";
import { ownedBy, type ProfileRef } from "../policy/ownership.js";
import type { TierPolicy } from "../policy/tiers-parse.js";
import { memoryKey } from "./deps.js";

interface Entry {
  desired: NetworkPolicy["spec"];
  labels: Labels | undefined;
  policies: readonly NetworkPolicy[];
  tiers: readonly TierPolicy[];
  verdict: NamespaceVerdict;
}

export interface Verdict {
  state: NamespaceVerdict["state"];
  /** formatBypass of each entry, in order. */
  bypassedBy: string[];
}

const ISOLATED: Verdict = { state: "Isolated", bypassedBy: [] };
/** Where no Admin tier is served: one array, so the memo sees the same input every pass (a fresh `[]` would miss every time). */
const NO_TIERS: readonly TierPolicy[] = [];

function samePolicies(a: readonly NetworkPolicy[], b: readonly NetworkPolicy[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class VerdictMemo {
  /** profile uid → namespace → last verdict and its inputs. */
  private readonly profiles = new Map<string, Map<string, Entry>>();

  verdict(profile: ProfileRef, desired: NetworkPolicy, policies: readonly NetworkPolicy[], namespace?: Namespace, tiers: readonly TierPolicy[] = NO_TIERS): Verdict {
    const name = desired.metadata.namespace ?? "";
    const labels = namespace?.metadata.labels;
    const key = memoryKey(profile);
    let byNamespace = this.profiles.get(key);
    if (!byNamespace) this.profiles.set(key, (byNamespace = new Map<string, Entry>()));
    let entry = byNamespace.get(name);
    if (!entry || entry.desired !== desired.spec || entry.labels !== labels || !samePolicies(entry.policies, policies) || entry.tiers !== tiers) {
      // Only the profile's own policy in the namespace and no Admin tier: nothing can bypass it.
      const verdict = policies.every((p) => ownedBy(p, profile)) && tiers.length === 0
        ? { state: "Isolated" as const, bypassedBy: [] }
        : bypassVerdict({ profileName: profile.name, ...(profile.uid === undefined ? {} : { profileUid: profile.uid }), namespace: name, ...(labels === undefined ? {} : { namespaceLabels: labels }), desired, policies, tierPolicies: tiers });
      entry = { desired: desired.spec, labels, policies: [...policies], tiers, verdict };
      byNamespace.set(name, entry);
    }
    return entry.verdict.state === "Isolated" ? ISOLATED : { state: "Bypassed", bypassedBy: entry.verdict.bypassedBy.map(formatBypass) };
  }

  /** Drops namespaces of the profile that are not in `keep` (deselected, deleted); a lookup per pass, no copy. */
  prune(profileName: string, keep: { readonly size: number; has(namespace: string): boolean }): void {
    const byNamespace = this.profiles.get(profileName);
    if (!byNamespace || byNamespace.size <= keep.size) return;
    for (const ns of byNamespace.keys()) if (!keep.has(ns)) byNamespace.delete(ns);
  }

  forget(profileName: string): void {
    this.profiles.delete(profileName);
  }
}
