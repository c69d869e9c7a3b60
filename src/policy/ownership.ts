/**
 * What a profile owns, decided in one place for the plan, the verdict,
 * finalize and cleanup: the NetworkPolicy at the name the profile generates
 * whose owner references carry the profile object's uid. Labels are for
 * selecting and for people, and anyone can copy them: they never decide.
 * Only where no uid exists (a profile rendered from a file, offline) do the
 * generated name and netfence's labels stand in for it. Pure.
 */
import { API_VERSION, KIND, LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../api/constants.js";
import type { ObjectMeta } from "../k8s/objects.js";

/** Anything with metadata: a NetworkPolicy, an Admin-tier object. */
type Owned = { metadata: ObjectMeta };
import { policyName, profileLabelValue } from "./naming.js";

/** The profile object a question of ownership is about; `uid` makes it exact. */
export interface ProfileRef {
  name: string;
  uid?: string;
}

export function hasOwnLabels(policy: Owned, profileName: string): boolean {
  const labels = policy.metadata.labels ?? {};
  return labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels[LABEL_PROFILE] === profileLabelValue(profileName);
}

export function referencesUid(policy: Owned, uid: string): boolean {
  return (policy.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

/** The profile's own object: its generated name, and its owner reference (labels only without a uid). */
export function ownedBy(policy: Owned, profile: ProfileRef): boolean {
  if (policy.metadata.name !== policyName(profile.name)) return false;
  return profile.uid === undefined ? hasOwnLabels(policy, profile.name) : referencesUid(policy, profile.uid);
}

/**
 * The profile a policy was generated for, as far as the object itself can
 * tell (for `netfence explain`, which has no profiles): an IsolationProfile
 * owner reference whose generated name is the policy's, else — a render from
 * a file, which has no owner — netfence's labels at the generated name.
 */
export function generatedFor(policy: Owned): ProfileRef | undefined {
  for (const ref of policy.metadata.ownerReferences ?? []) {
    if (ref.kind === KIND && ref.apiVersion === API_VERSION && policyName(ref.name) === policy.metadata.name) return { name: ref.name, uid: ref.uid };
  }
  if ((policy.metadata.ownerReferences ?? []).length > 0) return undefined;
  const labels = policy.metadata.labels ?? {};
  const name = labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE ? labels[LABEL_PROFILE] : undefined;
  return name !== undefined && policyName(name) === policy.metadata.name ? { name } : undefined;
}
