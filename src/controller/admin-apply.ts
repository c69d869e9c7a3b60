/**
 * The profile's one cluster-scoped Admin-tier object (ClusterNetworkPolicy
 * or AdminNetworkPolicy), converged as the NetworkPolicies are: the live
 * spec compared with the render, replaced with a precondition, drift decided
 * from the resourceVersion netfence itself last wrote (a copied stamp is not
 * netfence's write), heals held back by the contest, failures retried and
 * shown. Objects of every other served kind that the profile owns (by owner
 * uid) are deleted, so changing spec.enforcement leaves nothing behind.
 */
import { formatIssues, parseProfile } from "../api/parse.js";
import type { IsolationProfile, ParsedProfile } from "../api/types.js";
import type { Namespace } from "../k8s/objects.js";
import { renderAdminTier, type AdminKind, type AdminTierObject } from "../policy/admin-render.js";
import { tenantProofOf, type TenantProof } from "../policy/admin-envelope.js";
import { adminPrecedence, type Contender } from "../policy/admin-precedence.js";
import { canonicalJson } from "../policy/canonical.js";
import { chooseEnforcement, kindOf, UNVERIFIED, type EnforcementChoice } from "../policy/enforcement.js";
import { selectNamespaces } from "../policy/namespaces.js";
import { policyName } from "../policy/naming.js";
import { ownedBy } from "../policy/ownership.js";
import { firstFew } from "../lib/first-few.js";
import { ANNOTATION_SPEC_HASH, LABEL_MANAGED_BY, LABEL_PROFILE } from "../api/constants.js";
import { memoryKey, refOf, type ReconcileDeps } from "./deps.js";
import { CLUSTER_SCOPED } from "./in-place.js";
import { TRANSITION } from "./judge.js";
import type { AdminTierLive, WriteFailure } from "./ports.js";

export interface AdminOutcome {
  choice: EnforcementChoice;
  /** The Admin-tier object in place as rendered (undefined: none is). */
  inPlace?: { kind: AdminKind; name: string };
  /** Per isolated direction, whether in-cluster traffic is tenant-proof: only when the object is in place and the data plane is known to enforce it. */
  proof?: TenantProof;
  /** What the Admin tier leaves to the NetworkPolicies, or what waits for netfence (the render's notes). */
  notes: string[];
  /** Why the Admin-tier part is not as asked (a write failed, a foreign object at the name, a render that does not fit). */
  problem?: { reason: "AdminTierWriteFailed" | "AdminTierConflict" | "AdminTierRefused" | "AdminTierContested" | "AdminTierPriorityConflict"; message: string };
  retry: boolean;
  requeueAfterMs?: number;
}

const describeFailure = (f: WriteFailure) => `${f.kind}: ${f.message}`.slice(0, 500);

/** The object as rendered, ignoring what the API server adds: spec, netfence's labels and stamp. */
function matches(live: AdminTierLive, object: AdminTierObject): boolean {
  const labels = live.metadata.labels ?? {};
  const want = object.metadata.labels ?? {};
  return (
    canonicalJson(live.spec ?? null) === canonicalJson(object.spec) &&
    labels[LABEL_MANAGED_BY] === want[LABEL_MANAGED_BY] &&
    labels[LABEL_PROFILE] === want[LABEL_PROFILE] &&
    live.metadata.annotations?.[ANNOTATION_SPEC_HASH] === object.metadata.annotations?.[ANNOTATION_SPEC_HASH]
  );
}

/** Chooses the enforcement and, unless `dryRun`, converges the Admin-tier object to it. `namespaces`: every namespace (terminating ones stay in the subject). */
export async function convergeAdminTier(profile: IsolationProfile, parsed: ParsedProfile, namespaces: readonly Namespace[], deps: ReconcileDeps, dryRun: boolean): Promise<AdminOutcome> {
  const enforcement = deps.enforcement;
  const served = enforcement?.served ?? [];
  const choice = chooseEnforcement(parsed.spec.enforcement, served, enforcement?.plane ?? UNVERIFIED);
  const out: AdminOutcome = { choice, notes: [], retry: false };
  if (dryRun || !enforcement) return out;
  const { writer } = enforcement;
  const name = policyName(profile.metadata.name);
  const ref = refOf(profile);
  const fail = (reason: NonNullable<AdminOutcome["problem"]>["reason"], message: string, retry = true): AdminOutcome => {
    out.problem = { reason, message };
    out.retry = retry;
    return out;
  };

  // Whatever the profile owns in a kind it is not enforced with now (an earlier choice): deleted.
  for (const kind of served) {
    if (kind === choice.kind) continue;
    const stale = deps.tiers?.live(kindOf(kind), name);
    if (!stale || !ownedBy(stale, ref)) continue;
    const removed = await writer.remove(kind, stale);
    if (!removed.ok) return fail("AdminTierWriteFailed", `deleting ${kindOf(kind)} ${name}, which spec.enforcement no longer uses, failed (${describeFailure(removed)}); retrying`);
    deps.events.record(profile, "Normal", "Deleted", `Deleted ${kindOf(kind)} ${name}: the profile is enforced with ${kindOf(choice.kind)} now`);
  }
  if (choice.kind === "NetworkPolicy") return out;

  const kind = choice.kind;
  let live = deps.tiers?.live(kindOf(kind), name);
  const precedence = adminPrecedence(contender(profile, parsed, namespaces, deps), otherContenders(profile, namespaces, deps));
  out.notes = precedence.notes;
  if (precedence.yieldsTo) {
    const { name: keeper, shared } = precedence.yieldsTo;
    if (live && ownedBy(live, ref)) {
      const removed = await writer.remove(kind, live);
      if (!removed.ok) return fail("AdminTierWriteFailed", `deleting ${kindOf(kind)} ${name} (profile ${keeper} holds its priority) failed (${describeFailure(removed)}); retrying`);
      deps.events.record(profile, "Warning", "Deleted", `Deleted ${kindOf(kind)} ${name}: profile ${keeper} selects the same namespaces at the same priority`);
    }
    return fail(
      "AdminTierPriorityConflict",
      `profile ${keeper} also selects ${firstFew(shared)} at the same spec.priority ${String(parsed.spec.priority)} and was created first, so this profile writes no ${kindOf(kind)} (its NetworkPolicies enforce it); give one of them a different spec.priority (lower decides first)`,
      false,
    );
  }
  const render = renderAdminTier(parsed, namespaces, kind, deps.render);
  if (!render.ok) return fail("AdminTierRefused", `the Admin-tier object does not fit, so none is written (the NetworkPolicies enforce the profile): ${formatIssues(render.issues)}`, false);
  out.notes = [...precedence.notes, ...render.notes];
  if (!render.object) {
    if (live && ownedBy(live, ref)) {
      const removed = await writer.remove(kind, live);
      if (!removed.ok) return fail("AdminTierWriteFailed", `deleting ${kindOf(kind)} ${name} (the profile selects no namespace) failed (${describeFailure(removed)}); retrying`);
    }
    return out;
  }
  const object = render.object;
  const key = `${memoryKey(profile)}/${CLUSTER_SCOPED}`;

  if (!live) {
    const created = await writer.create(kind, object);
    if (created.ok) {
      deps.inPlace.wroteVersion(profile, CLUSTER_SCOPED, created.resourceVersion);
      deps.events.record(profile, "Normal", "Applied", `Created ${object.kind} ${name} (${object.apiVersion})`);
      return placed(out, kind, name, render.table, render.surplus);
    }
    if (created.kind !== "AlreadyExists") return fail("AdminTierWriteFailed", `creating ${object.kind} ${name} failed (${describeFailure(created)}); retrying`);
    // The cache has not seen it (ours, just written), or it is someone else's: the API server says which.
    const read = await writer.read(kind, name);
    if (!read.ok) return fail("AdminTierWriteFailed", `reading ${object.kind} ${name} failed (${describeFailure(read)}); retrying`);
    if (!read.value) return fail("AdminTierWriteFailed", `${object.kind} ${name} was deleted while netfence created it; retrying`);
    live = read.value;
  }
  if (!ownedBy(live, ref)) {
    return fail("AdminTierConflict", `${object.kind} ${name} exists and is not this profile's (no owner reference to its uid): netfence leaves it alone, and the NetworkPolicies enforce the profile`, false);
  }
  if (matches(live, object)) {
    deps.inPlace.wroteVersion(profile, CLUSTER_SCOPED, live.metadata.resourceVersion);
    if (deps.contest?.contested(key)) markContested(out, deps, key, object);
    return placed(out, kind, name, render.table, render.surplus);
  }
  // Drift: someone else changed the object since netfence wrote it. Without a record (a restart), a stamp that names the current render on a spec that differs is an edit.
  const last = deps.inPlace.lastWritten(profile, CLUSTER_SCOPED);
  const drift = last === undefined ? live.metadata.annotations?.[ANNOTATION_SPEC_HASH] === object.metadata.annotations?.[ANNOTATION_SPEC_HASH] : last !== live.metadata.resourceVersion;
  const contest = deps.contest;
  if (drift && contest) {
    const wait = contest.wait(key);
    if (wait > 0) {
      markContested(out, deps, key, object);
      out.requeueAfterMs = wait;
      return out;
    }
  }
  const replaced = await writer.replace(kind, object, live);
  if (!replaced.ok) {
    if (replaced.kind === "Conflict") {
      out.retry = true;
      return out;
    }
    return fail("AdminTierWriteFailed", `updating ${object.kind} ${name} failed (${describeFailure(replaced)}); retrying`);
  }
  deps.inPlace.wroteVersion(profile, CLUSTER_SCOPED, replaced.resourceVersion);
  if (drift) {
    deps.metrics.driftHealed(1);
    contest?.healed(key);
    deps.events.record(profile, "Normal", "DriftHealed", `Restored ${object.kind} ${name}, which another client changed`, TRANSITION);
  } else {
    deps.events.record(profile, "Normal", "Applied", `Updated ${object.kind} ${name}`);
  }
  if (contest?.contested(key)) markContested(out, deps, key, object);
  return placed(out, kind, name, render.table, render.surplus);
}

function contender(profile: IsolationProfile, parsed: ParsedProfile, namespaces: readonly Namespace[], deps: ReconcileDeps): Contender {
  const selected = selectNamespaces(parsed.spec, namespaces, { operatorNamespace: deps.render.operatorNamespace });
  return { name: profile.metadata.name, priority: parsed.spec.priority, created: profile.metadata.creationTimestamp ?? "", namespaces: new Set(selected.map((ns) => ns.metadata.name)) };
}

/** Every other profile that writes an Admin-tier object: enforcing, not being deleted, and enforced in the Admin tier. */
function otherContenders(self: IsolationProfile, namespaces: readonly Namespace[], deps: ReconcileDeps): Contender[] {
  const out: Contender[] = [];
  for (const other of deps.profiles.list()) {
    if (other.metadata.name === self.metadata.name || other.metadata.deletionTimestamp) continue;
    const parsed = parseProfile(other);
    if (!parsed.ok || parsed.value.spec.mode !== "Enforce") continue;
    if (chooseEnforcement(parsed.value.spec.enforcement, deps.enforcement?.served ?? [], deps.enforcement?.plane ?? UNVERIFIED).kind === "NetworkPolicy") continue;
    const c = contender(other, parsed.value, namespaces, deps);
    if (c.namespaces.size) out.push(c);
  }
  return out;
}

function markContested(out: AdminOutcome, deps: ReconcileDeps, key: string, object: AdminTierObject): void {
  out.problem = { reason: "AdminTierContested", message: `another client keeps changing ${object.kind} ${object.metadata.name}; netfence restores it with capped backoff` };
  const quiet = deps.contest?.quietIn(key);
  if (quiet !== undefined) out.requeueAfterMs = Math.min(out.requeueAfterMs ?? quiet, quiet);
}

function placed(out: AdminOutcome, kind: AdminKind, name: string, table: { ingress?: unknown; egress?: unknown } | undefined, surplus: { ingress: boolean; egress: boolean }): AdminOutcome {
  out.inPlace = { kind, name };
  if (out.choice.enforced.status === "True" && table) out.proof = tenantProofOf({ ingress: table.ingress !== undefined, egress: table.egress !== undefined }, surplus);
  return out;
}
