/**
 * Which tier enforces a profile, and how sure netfence is that anything
 * enforces it. Pure: discovery (what the API serves) and the data plane
 * evidence come in as arguments.
 *
 * Served is not enforced: a CRD the API server serves says nothing about a
 * data plane. So `Auto` picks an Admin-tier kind only when the data plane is
 * declared (`--data-plane-enforces`) or detected (Calico's ClusterInformation)
 * to enforce it; otherwise it writes NetworkPolicies, as before. `AdminTier`
 * asked for explicitly is honoured when unverified (the user vouches), never
 * when the data plane is known not to enforce it. Either way the residual
 * NetworkPolicies are written, so a profile is never left with nothing.
 */
import type { Enforcement } from "../api/types.js";
import { ADMIN_KINDS, type AdminKind } from "./admin-render.js";

export const POLICY_KINDS = ["NetworkPolicy", "ClusterNetworkPolicy", "AdminNetworkPolicy"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export type Evidence = "declared" | "detected" | "unverified";

/** The data plane netfence believes enforces policies, and on what evidence. */
export interface DataPlane {
  /** "Calico v3.31.0", or what the chart declares; "unknown" when unverified. */
  name: string;
  enforces: readonly PolicyKind[];
  evidence: Evidence;
  /** Where the belief comes from: "ClusterInformation default spec.calicoVersion", "--data-plane-enforces". */
  source: string;
}

export const UNVERIFIED: DataPlane = { name: "unknown", enforces: [], evidence: "unverified", source: "nothing declared (--data-plane-enforces) or detected" };

export type Condition3 = "True" | "False" | "Unknown";

export interface EnforcementChoice {
  requested: Enforcement;
  /** What netfence writes besides the residual NetworkPolicies: an Admin-tier kind, or NetworkPolicy alone. */
  kind: AdminKind | "NetworkPolicy";
  /** CamelCase: why this kind. */
  reason: string;
  message: string;
  /** Set when what was asked for cannot be had (spec.enforcement: AdminTier, none usable). */
  degraded?: { reason: string; message: string };
  /** The Enforced condition: does the data plane enforce what is written? */
  enforced: { status: Condition3; reason: string; message: string };
  /** The data plane the choice was made for. */
  plane: DataPlane;
}

/** "AdminNetworkPolicy/v1alpha1" → "AdminNetworkPolicy". */
export const kindOf = (kind: AdminKind | "NetworkPolicy"): PolicyKind => kind.split("/")[0] as PolicyKind;

function listed(kinds: readonly string[]): string {
  return kinds.length === 0 ? "nothing" : kinds.join(", ");
}

function describe(plane: DataPlane): string {
  return `${plane.name} (${plane.evidence}: ${plane.source})`;
}

function enforcedCondition(kind: AdminKind | "NetworkPolicy", plane: DataPlane): EnforcementChoice["enforced"] {
  const what = kindOf(kind);
  if (plane.evidence === "unverified") {
    return { status: "Unknown", reason: "Unverified", message: `no data plane is declared (--data-plane-enforces) or detected, so netfence cannot tell whether anything enforces the ${what} it writes` };
  }
  const evidence = plane.evidence === "declared" ? "Declared" : "Detected";
  if (!plane.enforces.includes(what)) {
    return { status: "False", reason: "NotEnforced", message: `${describe(plane)} enforces ${listed(plane.enforces)}, not the ${what} netfence writes: nothing isolates these namespaces` };
  }
  const residual = what !== "NetworkPolicy" && !plane.enforces.includes("NetworkPolicy") ? "; it does not enforce NetworkPolicy, so ingress from outside the cluster is not isolated" : "";
  return { status: residual ? "False" : "True", reason: residual ? "NotEnforced" : evidence, message: `${describe(plane)} enforces ${what}${residual}` };
}

/**
 * The kind a profile is enforced with. `served`: the Admin-tier kinds the API
 * serves (each at its preferred version); the order of preference is
 * ADMIN_KINDS' (ClusterNetworkPolicy v1beta1, v1alpha2, AdminNetworkPolicy).
 */
export function chooseEnforcement(requested: Enforcement, served: readonly AdminKind[], plane: DataPlane): EnforcementChoice {
  const candidates = ADMIN_KINDS.filter((k) => served.includes(k));
  const enforced = plane.evidence === "unverified" ? [] : candidates.filter((k) => plane.enforces.includes(kindOf(k)));
  const choose = (kind: AdminKind | "NetworkPolicy", reason: string, message: string, degraded?: EnforcementChoice["degraded"]): EnforcementChoice => ({
    requested,
    kind,
    reason,
    message,
    ...(degraded ? { degraded } : {}),
    enforced: enforcedCondition(kind, plane),
    plane,
  });
  if (requested === "NetworkPolicy") return choose("NetworkPolicy", "Requested", "spec.enforcement is NetworkPolicy: NetworkPolicies are written, which a tenant's NetworkPolicy can widen");
  const [best] = enforced;
  if (best) return choose(best, requested === "Auto" ? "AdminTierEnforced" : "Requested", `${best} is served and ${describe(plane)} enforces it: the profile is written to the Admin tier, plus the NetworkPolicies for ingress from outside the cluster`);
  const [first] = candidates;
  let reason: string;
  let why: string;
  if (!first) {
    reason = "AdminTierNotServed";
    why = "the API serves no Admin-tier kind (ClusterNetworkPolicy policy.networking.k8s.io/v1beta1 or v1alpha2, AdminNetworkPolicy v1alpha1)";
  } else if (plane.evidence === "unverified") {
    if (requested === "AdminTier") return choose(first, "Requested", `spec.enforcement is AdminTier and ${first} is served; no data plane is declared or detected to enforce it, so whether it is enforced is unverified`);
    reason = "AdminTierUnverified";
    why = `${listed(candidates)} is served, but no data plane is declared (--data-plane-enforces) or detected to enforce it, and served is not enforced`;
  } else {
    reason = "AdminTierNotEnforced";
    why = `${listed(candidates)} is served, but ${describe(plane)} enforces ${listed(plane.enforces)}`;
  }
  if (requested === "Auto") return choose("NetworkPolicy", reason, `${why}: NetworkPolicies are written`);
  return choose("NetworkPolicy", reason, `spec.enforcement is AdminTier, but ${why}: NetworkPolicies are written until it is`, { reason, message: `spec.enforcement is AdminTier, but ${why}; NetworkPolicies are written meanwhile` });
}

/**
 * What a Calico version enforces: AdminNetworkPolicy from v3.29 to v3.31,
 * ClusterNetworkPolicy (and no longer AdminNetworkPolicy) from v3.32, and
 * NetworkPolicy always. Undefined when the version cannot be read.
 */
export function calicoEnforces(version: string): PolicyKind[] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const at = (a: number, b: number) => major > a || (major === a && minor >= b);
  if (at(3, 32)) return ["NetworkPolicy", "ClusterNetworkPolicy"];
  if (at(3, 29)) return ["NetworkPolicy", "AdminNetworkPolicy"];
  return ["NetworkPolicy"];
}

/** `--data-plane-enforces NetworkPolicy,AdminNetworkPolicy` (or `none`) → the kinds, or an error naming the flag. */
export function parseEnforces(value: string): { ok: true; kinds: PolicyKind[] } | { ok: false; message: string } {
  const parts = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length === 1 && parts[0] === "none") return { ok: true, kinds: [] };
  const bad = parts.filter((p) => !(POLICY_KINDS as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) return { ok: false, message: `--data-plane-enforces: expected none or a comma-separated list of ${POLICY_KINDS.join(", ")}, got '${value}'` };
  return { ok: true, kinds: [...new Set(parts as PolicyKind[])] };
}
