/**
 * Rendering straight from manifests (parse, then render), for the CLI: the
 * pure core renders parsed profiles only.
 */
import { parseProfile } from "../api/parse.js";
import type { Namespace, NetworkPolicy } from "../k8s/objects.js";
import { isRecord } from "../lib/is-record.js";
import { renderAdminTier, type AdminKind, type AdminTierObject } from "../policy/admin-render.js";
import { renderProfile, type RenderOptions } from "../policy/render.js";

function nameOf(obj: unknown): string {
  if (!isRecord(obj)) return "(not an object)";
  const metadata = obj.metadata;
  if (!isRecord(metadata)) return "(unnamed)";
  const name = metadata.name;
  return typeof name === "string" && name !== "" ? name : "(unnamed)";
}

function byNamespaceThenName(a: NetworkPolicy, b: NetworkPolicy): number {
  const ka = [a.metadata.namespace ?? "", a.metadata.name] as const;
  const kb = [b.metadata.namespace ?? "", b.metadata.name] as const;
  if (ka[0] !== kb[0]) return ka[0] < kb[0] ? -1 : 1;
  return ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0;
}

/**
 * Parses and renders many profiles: invalid ones become error lines
 * (`<profile>: <path>: <message>`), valid ones policies sorted by namespace, then name.
 */
export function renderProfiles(profiles: readonly unknown[], namespaces: readonly Namespace[], opts: RenderOptions = {}): { policies: NetworkPolicy[]; errors: string[] } {
  const { policies, errors } = renderEnforced(profiles, namespaces, opts, { adminKind: "ClusterNetworkPolicy/v1beta1", enforcement: "NetworkPolicy" });
  return { policies, errors };
}

export interface EnforcementChoice {
  /** Overrides each profile's spec.enforcement; undefined: AdminTier profiles in the Admin tier, the rest (Auto needs discovery) as NetworkPolicies. */
  enforcement?: "AdminTier" | "NetworkPolicy";
  adminKind: AdminKind;
}

export interface EnforcedRender {
  /** Sorted by name. */
  adminObjects: AdminTierObject[];
  policies: NetworkPolicy[];
  errors: string[];
  /** `<profile>: <note>`: what the Admin tier does not make tenant-proof. */
  notes: string[];
}

/**
 * As renderProfiles, per enforcement: a profile enforced in the Admin tier
 * gives its Admin-tier object and the residual NetworkPolicies, or, when it
 * does not fit, error lines and nothing at all (never half of it).
 */
export function renderEnforced(profiles: readonly unknown[], namespaces: readonly Namespace[], opts: RenderOptions, choice: EnforcementChoice): EnforcedRender {
  const out: EnforcedRender = { adminObjects: [], policies: [], errors: [], notes: [] };
  for (const obj of profiles) {
    const parsed = parseProfile(obj);
    if (!parsed.ok) {
      out.errors.push(...parsed.issues.map((i) => `${nameOf(obj)}: ${i.path}: ${i.message}`));
      continue;
    }
    const enforcement = choice.enforcement ?? (parsed.value.spec.enforcement === "AdminTier" ? "AdminTier" : "NetworkPolicy");
    if (enforcement === "NetworkPolicy") {
      out.policies.push(...renderProfile(parsed.value, namespaces, opts));
      continue;
    }
    const name = parsed.value.metadata.name;
    const admin = renderAdminTier(parsed.value, namespaces, choice.adminKind, opts);
    if (!admin.ok) {
      out.errors.push(...admin.issues.map((i) => `${name}: ${i.path}: ${i.message} (${choice.adminKind})`));
      continue;
    }
    if (admin.object) out.adminObjects.push(admin.object);
    out.policies.push(...admin.residual);
    out.notes.push(...admin.notes.map((n) => `${name}: ${n}`));
  }
  out.policies.sort(byNamespaceThenName);
  out.adminObjects.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return out;
}
