/**
 * Desired vs. actual → what to do. Pure and level-based: it does not care
 * what happened, only what is there, what should be, and what the previous
 * status said was in place.
 *
 * "Up to date" compares the live spec itself with the rendered one (not only
 * the hash annotation), so any difference — a narrowed profile, a widening
 * hand edit — is planned as a write. Whether that write heals drift is read
 * off the live object too: netfence stamps every policy it writes with the
 * hash of the spec it wrote, so a live spec that no longer matches its own
 * stamp, or stripped labels, was changed by someone else; a live spec that
 * matches its stamp but not the render is simply behind the profile.
 */
import { ANNOTATION_SPEC_HASH, GROUP, KIND, LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../api/constants.js";
import { hasOwnLabels, ownedBy, type ProfileRef } from "./ownership.js";
import { canonicalJson } from "./canonical.js";
import type { NetworkPolicy, NetworkPolicySpec } from "../k8s/objects.js";
import { specHash } from "./hash.js";
import { profileLabelValue } from "./naming.js";

export type { ProfileRef } from "./ownership.js";

/** Why a write restores drift: the policy was deleted, or edited (spec, labels or annotation), outside netfence. */
export type DriftKind = "deleted" | "edited";

export interface PlannedWrite {
  policy: NetworkPolicy;
  action: "create" | "update";
  /** update: the live object being replaced (its resourceVersion and foreign metadata are kept). */
  current?: NetworkPolicy;
  /** Set when the write restores a change made outside netfence. */
  drift?: DriftKind;
}

export interface Plan {
  /** Allow-before-deny, then by namespace and name. */
  apply: PlannedWrite[];
  unchanged: NetworkPolicy[];
  /** Owned by this profile, no longer desired. */
  delete: NetworkPolicy[];
  /** A policy of the desired name that someone else owns: never touched. */
  conflicts: { namespace: string; name: string; reason: string }[];
}

const refOf = (profile: ProfileRef | string): ProfileRef => (typeof profile === "string" ? { name: profile } : profile);

function key(policy: NetworkPolicy): string {
  return `${policy.metadata.namespace ?? ""}/${policy.metadata.name}`;
}

function conflictReason(existing: NetworkPolicy, profile: ProfileRef): string {
  const labels = existing.metadata.labels ?? {};
  const where = `NetworkPolicy ${key(existing)}`;
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) return `${where} exists and is not managed by netfence`;
  const other = labels[LABEL_PROFILE];
  if (other === undefined) return `${where} exists without a ${LABEL_PROFILE} label`;
  if (other !== profileLabelValue(profile.name)) return `${where} belongs to IsolationProfile ${other}`;
  const owner = existing.metadata.ownerReferences?.find((o) => o.kind === KIND && o.apiVersion.startsWith(`${GROUP}/`));
  return owner ? `${where} belongs to an earlier IsolationProfile ${profile.name} (uid ${owner.uid})` : `${where} carries no owner reference to this IsolationProfile`;
}

/** Canonical JSON of frozen specs, by object: the informer and the renderer share one frozen spec per profile. */
const frozenJson = new WeakMap<NetworkPolicySpec, string>();

function specJson(spec: NetworkPolicySpec): string {
  const known = frozenJson.get(spec);
  if (known !== undefined) return known;
  const json = canonicalJson(spec);
  if (Object.isFrozen(spec)) frozenJson.set(spec, json);
  return json;
}

/** The live spec is exactly the rendered one (key order aside: rule, peer and port order count). */
export function sameSpec(live: NetworkPolicySpec, desired: NetworkPolicySpec): boolean {
  return live === desired || specJson(live) === specJson(desired);
}

/** Same spec, netfence's labels and hash annotation, and the desired owner references: nothing to write. */
function isUpToDate(existing: NetworkPolicy, desired: NetworkPolicy): boolean {
  if (!sameSpec(existing.spec, desired.spec)) return false;
  const wantAnnotations = Object.entries(desired.metadata.annotations ?? {});
  const wantLabels = Object.entries(desired.metadata.labels ?? {});
  if (!wantAnnotations.every(([k, v]) => existing.metadata.annotations?.[k] === v)) return false;
  if (!wantLabels.every(([k, v]) => existing.metadata.labels?.[k] === v)) return false;
  return (desired.metadata.ownerReferences ?? []).every((want) =>
    (existing.metadata.ownerReferences ?? []).some((ref) => ref.uid === want.uid && ref.controller === want.controller),
  );
}

/**
 * Changed outside netfence: the live spec no longer matches the hash netfence
 * stamped on it when it wrote it, or netfence's labels or stamp are gone.
 */
export function editedOutside(existing: NetworkPolicy, profileName: string): boolean {
  const stamp = existing.metadata.annotations?.[ANNOTATION_SPEC_HASH];
  return stamp === undefined || !hasOwnLabels(existing, profileName) || specHash(existing.spec) !== stamp;
}

/**
 * One desired policy against the live object at its name (undefined: none),
 * for the plan and for a re-read after a failed write. `lastWritten`: the
 * resourceVersion netfence itself last wrote (or found up to date) there, when
 * it knows it: a live object at another version was changed by someone else,
 * whatever stamp it carries (a re-applied older object carries a valid one).
 * Unknown (after a restart): the stamp decides.
 */
export function planOne(
  profile: ProfileRef | string,
  desired: NetworkPolicy,
  current: NetworkPolicy | undefined,
  wasInPlace: boolean,
  lastWritten?: string,
): { write: PlannedWrite } | { unchanged: NetworkPolicy } | { conflict: string } {
  const ref = refOf(profile);
  if (current === undefined) return { write: wasInPlace ? { policy: desired, action: "create", drift: "deleted" } : { policy: desired, action: "create" } };
  if (!ownedBy(current, ref)) return { conflict: conflictReason(current, ref) };
  if (isUpToDate(current, desired)) return { unchanged: current };
  const write: PlannedWrite = { policy: desired, action: "update", current };
  const changedSince = lastWritten !== undefined && current.metadata.resourceVersion !== lastWritten;
  if (changedSince || editedOutside(current, ref.name)) write.drift = "edited";
  return { write };
}

/** Policies with rules admit traffic; applying them first never leaves a window where a deny is in place alone. */
function addsAllowances(policy: NetworkPolicy): boolean {
  return (policy.spec.ingress ?? []).length > 0 || (policy.spec.egress ?? []).length > 0;
}

function byKey(a: NetworkPolicy, b: NetworkPolicy): number {
  const ka = [a.metadata.namespace ?? "", a.metadata.name];
  const kb = [b.metadata.namespace ?? "", b.metadata.name];
  for (let i = 0; i < 2; i++) {
    const x = ka[i] ?? "";
    const y = kb[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Compares the policies a profile should have with those that exist (every
 * policy at a desired name, whoever owns it, and every one labelled for the
 * profile). Only policies the profile controls are ever written or deleted.
 * `wasInPlace(namespace)`: the previous status had this profile's policy in
 * place there, so a missing one was deleted by someone else.
 */
export function planChanges(
  profile: ProfileRef | string,
  desired: readonly NetworkPolicy[],
  existing: readonly NetworkPolicy[],
  wasInPlace: (namespace: string) => boolean = () => false,
  lastWritten: (namespace: string) => string | undefined = () => undefined,
): Plan {
  const ref = refOf(profile);
  const actual = new Map(existing.map((p) => [key(p), p]));
  const wanted = new Set(desired.map(key));
  const plan: Plan = { apply: [], unchanged: [], delete: [], conflicts: [] };

  for (const policy of desired) {
    const namespace = policy.metadata.namespace ?? "";
    const current = actual.get(key(policy));
    const step = planOne(ref, policy, current, current === undefined && wasInPlace(namespace), current && lastWritten(namespace));
    if ("write" in step) plan.apply.push(step.write);
    else if ("unchanged" in step) plan.unchanged.push(step.unchanged);
    else plan.conflicts.push({ namespace, name: policy.metadata.name, reason: step.conflict });
  }
  for (const policy of existing) {
    if (!wanted.has(key(policy)) && ownedBy(policy, ref)) plan.delete.push(policy);
  }

  plan.apply.sort((a, b) => Number(addsAllowances(b.policy)) - Number(addsAllowances(a.policy)) || byKey(a.policy, b.policy));
  plan.unchanged.sort(byKey);
  plan.delete.sort(byKey);
  plan.conflicts.sort((a, b) => (a.namespace !== b.namespace ? (a.namespace < b.namespace ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return plan;
}
