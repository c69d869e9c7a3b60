/**
 * One reconcile of one IsolationProfile, level-triggered and idempotent: it
 * compares what the profile wants with what the caches hold, writes only the
 * difference, and reports status once. Events only narrow where it looks (the
 * namespaces whose other policies changed), never what it writes. The parts:
 * the verdicts and events (judge.ts), the writes and the contest (apply.ts),
 * finalize (finalize.ts), the deps and the status write (deps.ts).
 */
import { FINALIZER } from "../api/constants.js";
import { formatIssues, parseProfile } from "../api/parse.js";
import type { IsolationProfile, NamespaceState, NamespaceStatus, ParsedProfile } from "../api/types.js";
import type { Namespace, NetworkPolicy } from "../k8s/objects.js";
import { firstFew } from "../lib/first-few.js";
import { pool } from "../lib/pool.js";
import { selectNamespaces } from "../policy/namespaces.js";
import { policyName } from "../policy/naming.js";
import { ownedBy } from "../policy/ownership.js";
import { planChanges, type Plan } from "../policy/plan.js";
import { renderProfile } from "../policy/render.js";
import { matchesSelector } from "../policy/selectors.js";
import { computeStatus, invalidSpecStatus, proofIn, sameJson, type ReconcileOutcome } from "../policy/status.js";
import { execute, type SetState } from "./apply.js";
import { convergeAdminTier, type AdminOutcome } from "./admin-apply.js";
import { DONE, memoryKey, refOf, timestamp, writeStatus, type ReconcileDeps, type ReconcileResult } from "./deps.js";
import { finalize, finalizerFailed } from "./finalize.js";
import { judge, judgeEffectiveIsolation, reportTransitions } from "./judge.js";
import { byNamespace } from "./memo.js";
import type { WriteFailure } from "./ports.js";

export type { ReconcileDeps, ReconcileResult } from "./deps.js";

/** What the profile owns (ownership.ts), as the cache holds it: what it may write and delete. */
function ownedPolicies(deps: ReconcileDeps, profile: IsolationProfile): NetworkPolicy[] {
  const ref = refOf(profile);
  return deps.policies.list().filter((p) => ownedBy(p, ref));
}

/**
 * The owned policies plus whatever the cache holds at a desired name that is
 * not among them (a user's policy, one whose labels were edited away): the
 * plan must see those to report a conflict or heal the edit.
 */
function existingPolicies(deps: ReconcileDeps, owned: NetworkPolicy[], desired: readonly NetworkPolicy[]): NetworkPolicy[] {
  const at = byNamespace(owned, desired);
  const extra: NetworkPolicy[] = [];
  for (const d of desired) {
    const namespace = d.metadata.namespace ?? "";
    if (at.get(namespace)?.metadata.name === d.metadata.name) continue;
    const other = deps.policies.get(d.metadata.name, namespace);
    if (other) extra.push(other);
  }
  return extra.length ? [...owned, ...extra] : owned;
}

/**
 * One pass over the profile `name`. `rejudge`: the only change since the
 * previous pass is to NetworkPolicies in these namespaces that the profile
 * does not own (a tenant's, another profile's): when that pass was clean and
 * of this generation, only their verdicts are judged again and only their
 * status entries change. Anything else, or no such pass: a full pass.
 */
export async function reconcileProfile(name: string, deps: ReconcileDeps, rejudge?: ReadonlySet<string>): Promise<ReconcileResult> {
  const profile = deps.profiles.get(name);
  if (!profile) return DONE;
  if (profile.metadata.deletionTimestamp) return finalize(profile, deps);

  const now = timestamp(deps);
  const generation = profile.metadata.generation ?? 0;
  const finalizers = profile.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) {
    // Nothing is enforced before the finalizer is in place: deletionPolicy could not be honoured.
    const added = await deps.profileWriter.setFinalizers(profile, [...finalizers, FINALIZER]);
    if (!added.ok) return finalizerFailed(profile, deps, "adding", added, "nothing is enforced until it is in place", now);
  }

  const parsed = parseProfile(profile);
  if (!parsed.ok) {
    const message = formatIssues(parsed.issues);
    deps.events.record(profile, "Warning", "InvalidSpec", message);
    return writeStatus(deps, profile, invalidSpecStatus(profile.status, generation, message, now));
  }
  if (rejudge) {
    const partial = await rejudgeNamespaces(profile, parsed.value, rejudge, deps, now);
    if (partial) return partial;
  }
  return enforce(profile, parsed.value, deps, generation, now);
}

const versionOf = (profile: IsolationProfile) => `${profile.metadata.uid ?? ""}/${String(profile.metadata.generation ?? 0)}`;

/**
 * Judges the namespaces in `scope` again, starting from the previous clean
 * pass of this generation: O(scope) verdicts, then one status computed from
 * the kept entries. Undefined when a full pass is needed instead.
 */
async function rejudgeNamespaces(profile: IsolationProfile, parsed: ParsedProfile, scope: ReadonlySet<string>, deps: ReconcileDeps, now: string): Promise<ReconcileResult | undefined> {
  const version = versionOf(profile);
  const pass = parsed.spec.mode === "Enforce" ? deps.inPlace.cleanPass(profile, version) : undefined;
  if (!pass) return undefined;
  const name = profile.metadata.name;
  const before = new Map<string, NamespaceState>();
  for (const namespace of scope) {
    const entry = pass.entries.get(namespace);
    // Not selected, or the policy is not in place: other policies do not change what the pass found.
    if (!entry || (entry.state !== "Isolated" && entry.state !== "Bypassed")) continue;
    const ns = deps.namespaces.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || (ns.metadata.uid ?? "") !== (pass.uids.get(namespace) ?? "")) return undefined;
    const desired = deps.memo?.rendered(memoryKey(profile), version, namespace) ?? renderProfile(parsed, [ns], deps.render)[0];
    if (!desired) return undefined;
    const next = judge(refOf(profile), { name: namespace, state: "Isolated", policy: entry.policy }, desired, deps, proofIn(pass.enforcement, namespace));
    if (sameJson(next, entry)) continue;
    before.set(namespace, entry.state);
    pass.entries.set(namespace, next);
    if (next.state !== entry.state) {
      const pods = isolatedPodsIn(parsed, namespace, deps);
      pass.isolatedPods += next.state === "Isolated" ? pods : -pods;
    }
  }
  if (before.size === 0) return DONE;
  const outcome: ReconcileOutcome = { generation: profile.metadata.generation ?? 0, mode: "Enforce", namespaces: [...pass.entries.values()], isolatedPods: pass.isolatedPods, cleanup: [], listed: deps.statusNamespaces, adminTier: deps.tiers?.kinds ?? [], ...(pass.enforcement ? { enforcement: pass.enforcement } : {}) };
  // The status first: it is what users and the bench wait for; the event would share the connection pool with it.
  const written = await writeStatus(deps, profile, computeStatus(profile.status, outcome, now));
  if (written.retry) deps.inPlace.dirty(profile);
  reportTransitions(profile, [...before.keys()].map((ns) => pass.entries.get(ns) as NamespaceStatus), { state: (ns) => before.get(ns), maybeBypassed: () => false }, deps);
  deps.metrics.namespaceStates(name, pass.entries.values());
  return written;
}

function isolatedPodsIn(parsed: ParsedProfile, namespace: string, deps: ReconcileDeps): number {
  let n = 0;
  for (const pod of deps.pods.byNamespace(namespace)) if (matchesSelector(parsed.spec.podSelector, pod.metadata.labels)) n++;
  return n;
}

async function enforce(profile: IsolationProfile, parsed: ParsedProfile, deps: ReconcileDeps, generation: number, now: string): Promise<ReconcileResult> {
  const spec = parsed.spec;
  const all = deps.namespaces.list();
  const selected = selectNamespaces(spec, all, { operatorNamespace: deps.render.operatorNamespace });
  const active = selected.filter((ns) => !ns.metadata.deletionTimestamp);
  const byName = new Map(active.map((ns) => [ns.metadata.name, ns]));
  const version = versionOf(profile);
  const ref = refOf(profile);
  const desired = deps.memo ? deps.memo.render(memoryKey(profile), version, parsed, active, deps.render) : renderProfile(parsed, active, deps.render);
  const existing = existingPolicies(deps, ownedPolicies(deps, profile), desired);
  const previous = deps.inPlace.previous(profile, byName);
  const lastWritten = (namespace: string) => deps.inPlace.lastWritten(profile, namespace);
  const plan = deps.memo ? deps.memo.plan(memoryKey(profile), ref, version, desired, existing, previous.wasInPlace, lastWritten) : planChanges(ref, desired, existing, previous.wasInPlace, lastWritten);
  // What is up to date now is what later changes are drift from.
  for (const p of plan.unchanged) deps.inPlace.wroteVersion(profile, p.metadata.namespace ?? "", p.metadata.resourceVersion);
  deps.inPlace.pruneVersions(profile, byName);
  const generatedName = policyName(profile.metadata.name);

  const entries = new Map<string, NamespaceStatus>();
  const set: SetState = (namespace, state, extra) =>
    entries.set(namespace, extra ? { name: namespace, state, policy: generatedName, ...extra } : { name: namespace, state, policy: generatedName });
  for (const ns of active) set(ns.metadata.name, "Isolated");
  for (const c of plan.conflicts) set(c.namespace, "Conflict", { message: c.reason });

  const failures: { namespace: string; failure: WriteFailure }[] = [];
  const onFailure = (namespace: string, f: WriteFailure) => {
    if (f.namespaceGone) {
      entries.delete(namespace);
      return;
    }
    failures.push({ namespace, failure: f });
    set(namespace, f.retryable ? "Pending" : "Failed", { message: f.message.slice(0, 500) });
  };

  let requeueAfterMs: number | undefined;
  let cleanup: NamespaceStatus[] = [];
  let admin: AdminOutcome;
  if (spec.mode === "DryRun") {
    await dryRun(plan, deps, set, onFailure);
    admin = await convergeAdminTier(profile, parsed, all, deps, true);
  } else {
    // The Admin-tier object first: one write isolates every selected namespace in the cluster; what it passes is
    // the profile's allowances, so passing it on before the NetworkPolicies exist admits nothing the profile does not.
    admin = await convergeAdminTier(profile, parsed, all, deps, false);
    const outcome = await execute(profile, plan, deps, set, onFailure);
    requeueAfterMs = outcome.nextMs;
    cleanup = outcome.cleanup;
    if (admin.requeueAfterMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? admin.requeueAfterMs, admin.requeueAfterMs);
    judgeEffectiveIsolation(profile, desired, entries, deps, admin);
    reportTransitions(profile, entries.values(), previous, deps);
  }
  deps.metrics.namespaceStates(profile.metadata.name, entries.values());

  let isolatedPods = 0;
  for (const e of entries.values()) if (e.state === "Isolated") isolatedPods += isolatedPodsIn(parsed, e.name, deps);
  const enforcement = { choice: admin.choice, notes: admin.notes, ...(admin.inPlace ? { inPlace: admin.inPlace } : {}), ...(admin.proof ? { proof: admin.proof } : {}), ...(admin.decidedElsewhere ? { decidedElsewhere: admin.decidedElsewhere } : {}), ...(admin.problem ? { problem: admin.problem } : {}) };
  const outcome: ReconcileOutcome = { generation, mode: spec.mode, namespaces: [...entries.values()], isolatedPods, cleanup, listed: deps.statusNamespaces, adminTier: deps.tiers?.kinds ?? [], enforcement };
  if (active.length === 0) outcome.emptySelectionReason = emptySelectionReason(parsed, all);
  const conflicts = [...entries.values()].filter((e) => e.state === "Conflict").map((e) => e.name);
  if (conflicts.length) {
    deps.events.record(profile, "Warning", "Conflict", `NetworkPolicy ${generatedName} exists but is not managed by this profile in: ${conflicts.slice(0, 10).join(", ")}`);
  }
  const [first] = failures;
  if (first) {
    const where = firstFew(failures.map((f) => f.namespace).sort());
    deps.log.warn({ isolationProfile: profile.metadata.name, failed: failures.length, namespaces: where, kind: first.failure.kind, err: first.failure.message }, spec.mode === "DryRun" ? "Could not dry-run NetworkPolicies; retrying" : "Could not write NetworkPolicies; retrying");
  }
  const written = await writeStatus(deps, profile, computeStatus(profile.status, outcome, now));
  // Every failed write or delete is retried with the queue's per-key backoff, retryable or not (RBAC or a webhook may be fixed meanwhile).
  const retry = failures.length > 0 || cleanup.length > 0 || written.retry === true || admin.retry;
  if (spec.mode === "Enforce") deps.inPlace.record(profile, entries, byName, isolatedPods, retry || requeueAfterMs !== undefined ? undefined : version, enforcement);
  return retry || requeueAfterMs === undefined ? { retry } : { requeueAfterMs };
}

async function dryRun(plan: Plan, deps: ReconcileDeps, set: SetState, onFailure: (ns: string, f: WriteFailure) => void): Promise<void> {
  for (const p of plan.unchanged) set(p.metadata.namespace ?? "", "DryRun", { action: "none" });
  await pool(plan.apply, deps.writeConcurrency, async ({ policy, action }) => {
    const namespace = policy.metadata.namespace ?? "";
    // A create is validated as an apply of the same object: the server checks it without storing it.
    const result = await deps.writer.dryRun(policy);
    if (!result.ok) return onFailure(namespace, result);
    set(namespace, "DryRun", { action });
  });
  for (const p of plan.delete) set(p.metadata.namespace ?? "", "DryRun", { action: "delete" });
}

function emptySelectionReason(parsed: ParsedProfile, all: readonly Namespace[]): ReconcileOutcome["emptySelectionReason"] {
  const withSystem = selectNamespaces({ ...parsed.spec, namespaces: { ...parsed.spec.namespaces, includeSystem: true } }, all, {});
  if (!parsed.spec.namespaces.includeSystem && withSystem.length > 0) {
    return {
      reason: "OnlySystemNamespaces",
      message: `spec.namespaces selects only system or operator namespaces (${withSystem.slice(0, 5).map((n) => n.metadata.name).join(", ")}); set spec.namespaces.includeSystem: true to isolate them`,
    };
  }
  return { reason: "NoNamespacesSelected", message: "spec.namespaces matches no namespace yet; namespaces that match later are isolated when they appear" };
}

