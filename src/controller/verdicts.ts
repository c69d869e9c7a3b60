/**
 * Effective-isolation verdicts per profile and namespace, re-computed only
 * when their inputs change: the profile's desired policy (one frozen spec per
 * generation) and the namespace's NetworkPolicies as the cache holds them (the
 * informer replaces an object when it changes, so identity is the version).
 * A change to one policy re-evaluates its own namespace; every other namespace
 * of the pass is a lookup.
 */
import { bypassVerdict, formatBypass, type NamespaceVerdict } from "../policy/bypass.js";
import type { NetworkPolicy } from "../k8s/objects.js";

interface Entry {
  desired: NetworkPolicy["spec"];
  policies: readonly NetworkPolicy[];
  verdict: NamespaceVerdict;
}

export interface Verdict {
  state: NamespaceVerdict["state"];
  /** formatBypass of each entry, in order. */
  bypassedBy: string[];
}

const ISOLATED: Verdict = { state: "Isolated", bypassedBy: [] };

function samePolicies(a: readonly NetworkPolicy[], b: readonly NetworkPolicy[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class VerdictMemo {
  /** profile name → namespace → last verdict and its inputs. */
  private readonly profiles = new Map<string, Map<string, Entry>>();

  verdict(profileName: string, desired: NetworkPolicy, policies: readonly NetworkPolicy[]): Verdict {
    const namespace = desired.metadata.namespace ?? "";
    let byNamespace = this.profiles.get(profileName);
    if (!byNamespace) this.profiles.set(profileName, (byNamespace = new Map<string, Entry>()));
    let entry = byNamespace.get(namespace);
    if (!entry || entry.desired !== desired.spec || !samePolicies(entry.policies, policies)) {
      // Only the profile's own policy in the namespace: nothing can bypass it.
      const verdict = policies.length <= 1 && policies.every((p) => p.metadata.name === desired.metadata.name) ? { state: "Isolated" as const, bypassedBy: [] } : bypassVerdict({ profileName, namespace, desired, policies });
      entry = { desired: desired.spec, policies: [...policies], verdict };
      byNamespace.set(namespace, entry);
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
