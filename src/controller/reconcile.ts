/**
 * One reconcile of one IsolationProfile, level-triggered and idempotent: it
 * compares what the profile wants with what the caches hold, writes only the
 * difference, and reports status once. Events only narrow where it looks (the
 * namespaces whose other policies changed), never what it writes.
 */
import type { Logger } from "pino";
import { FINALIZER, LABEL_PROFILE, LIMITS } from "../api/constants.js";
import { formatIssues, parseProfile } from "../api/parse.js";
import type { IsolationProfile, IsolationProfileStatus, NamespaceState, NamespaceStatus, ParsedProfile } from "../api/types.js";
import type { Namespace, NetworkPolicy, Pod } from "../k8s/objects.js";
import { selectNamespaces } from "../policy/namespaces.js";
import { policyName, profileLabelValue } from "../policy/naming.js";
import { isOwnedBy, planChanges, planOne, type DriftKind, type Plan, type PlannedWrite, type ProfileRef } from "../policy/plan.js";
import { renderProfile, type RenderOptions } from "../policy/render.js";
import { matchesSelector } from "../policy/selectors.js";
import { pool } from "../lib/pool.js";
import { firstFew } from "../lib/first-few.js";
import { computeStatus, invalidSpecStatus, lifecycleFailedStatus, sameJson, type ReconcileOutcome } from "../policy/status.js";
import type { DriftContest } from "./contest.js";
import type { InPlaceLedger, PreviousPass } from "./in-place.js";
import type { VerdictMemo } from "./verdicts.js";
import { byNamespace, type PassMemo } from "./memo.js";
import type { EventRecorder, PolicyWriter, ProfileWriter, ReadCache, ReconcileMetrics, WriteFailure } from "./ports.js";

export interface ReconcileDeps {
  profiles: ReadCache<IsolationProfile>;
  namespaces: ReadCache<Namespace>;
  pods: ReadCache<Pod>;
  /** Every NetworkPolicy (netfence's own and everyone else's: the effective-isolation verdict reads them all). */
  policies: ReadCache<NetworkPolicy>;
  writer: PolicyWriter;
  profileWriter: ProfileWriter;
  events: EventRecorder;
  metrics: ReconcileMetrics;
  /** What each profile's previous pass left: a policy missing where one was in place was deleted by someone else. */
  inPlace: InPlaceLedger;
  /** Effective-isolation verdicts, re-computed only for namespaces whose policies changed. */
  verdicts: VerdictMemo;
  /** Holds back heals of policies another client keeps changing (no hot loop); none: heal at once. */
  contest?: DriftContest;
  /** Reuses rendering and verified policies between passes of one generation; none: every pass from scratch. */
  memo?: PassMemo;
  render: RenderOptions;
  /** Parallel writes within one pass (the client's QPS limiter still applies). */
  writeConcurrency: number;
  /** Entries in status.namespaces; default LIMITS.statusNamespaces. */
  statusNamespaces?: number;
  now: () => Date;
  log: Logger;
}

export interface ReconcileResult {
  /** Retry with the queue's per-key backoff (retryable API errors). */
  retry?: boolean;
  /** Come back after this long (a held-back heal, a contest that should clear). */
  requeueAfterMs?: number;
}

const DONE: ReconcileResult = {};

const policies = (n: number) => `${String(n)} NetworkPolic${n === 1 ? "y" : "ies"}`;
const key = (p: NetworkPolicy) => `${p.metadata.namespace ?? ""}/${p.metadata.name}`;
const refOf = (profile: IsolationProfile): ProfileRef => (profile.metadata.uid ? { name: profile.metadata.name, uid: profile.metadata.uid } : { name: profile.metadata.name });

/** Policies labelled for the profile and referencing it: what it may delete. */
function ownedPolicies(deps: ReconcileDeps, profile: IsolationProfile): NetworkPolicy[] {
  const name = profile.metadata.name;
  const label = profileLabelValue(name);
  return deps.policies.list().filter((p) => p.metadata.labels?.[LABEL_PROFILE] === label && isOwnedBy(p, name, profile.metadata.uid));
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

/** Now, as a metav1.Time (second precision). */
const timestamp = (deps: ReconcileDeps) => deps.now().toISOString().replace(/\.\d+Z$/, "Z");

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
    const desired = deps.memo?.rendered(name, version, namespace) ?? renderProfile(parsed, [ns], deps.render)[0];
    if (!desired) return undefined;
    const next = judge(name, { name: namespace, state: "Isolated", policy: entry.policy }, desired, deps);
    if (sameJson(next, entry)) continue;
    before.set(namespace, entry.state);
    pass.entries.set(namespace, next);
    if (next.state !== entry.state) {
      const pods = isolatedPodsIn(parsed, namespace, deps);
      pass.isolatedPods += next.state === "Isolated" ? pods : -pods;
    }
  }
  if (before.size === 0) return DONE;
  const outcome: ReconcileOutcome = { generation: profile.metadata.generation ?? 0, mode: "Enforce", namespaces: [...pass.entries.values()], isolatedPods: pass.isolatedPods, cleanup: [], listed: deps.statusNamespaces };
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

type SetState = (namespace: string, state: NamespaceStatus["state"], extra?: Partial<NamespaceStatus>) => void;

async function enforce(profile: IsolationProfile, parsed: ParsedProfile, deps: ReconcileDeps, generation: number, now: string): Promise<ReconcileResult> {
  const spec = parsed.spec;
  const all = deps.namespaces.list();
  const selected = selectNamespaces(spec, all, { operatorNamespace: deps.render.operatorNamespace });
  const active = selected.filter((ns) => !ns.metadata.deletionTimestamp);
  const byName = new Map(active.map((ns) => [ns.metadata.name, ns]));
  const version = versionOf(profile);
  const ref = refOf(profile);
  const desired = deps.memo ? deps.memo.render(profile.metadata.name, version, parsed, active, deps.render) : renderProfile(parsed, active, deps.render);
  const existing = existingPolicies(deps, ownedPolicies(deps, profile), desired);
  const previous = deps.inPlace.previous(profile, byName);
  const plan = deps.memo ? deps.memo.plan(ref, version, desired, existing, previous.wasInPlace) : planChanges(ref, desired, existing, previous.wasInPlace);
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
  if (spec.mode === "DryRun") {
    await dryRun(plan, deps, set, onFailure);
  } else {
    const outcome = await execute(profile, plan, deps, set, onFailure);
    requeueAfterMs = outcome.nextMs;
    cleanup = outcome.cleanup;
    judgeEffectiveIsolation(profile, desired, entries, deps);
    reportTransitions(profile, entries.values(), previous, deps);
  }
  deps.metrics.namespaceStates(profile.metadata.name, entries.values());

  let isolatedPods = 0;
  for (const e of entries.values()) if (e.state === "Isolated") isolatedPods += isolatedPodsIn(parsed, e.name, deps);
  const outcome: ReconcileOutcome = { generation, mode: spec.mode, namespaces: [...entries.values()], isolatedPods, cleanup, listed: deps.statusNamespaces };
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
  const retry = failures.length > 0 || cleanup.length > 0 || written.retry === true;
  if (spec.mode === "Enforce") deps.inPlace.record(profile, entries, byName, isolatedPods, retry || requeueAfterMs !== undefined ? undefined : version);
  return retry || requeueAfterMs === undefined ? { retry } : { requeueAfterMs };
}

/**
 * Where the profile's policy is in place, is it in effect? Another policy in
 * the namespace that admits more than the profile makes the namespace
 * Bypassed, naming each widening rule.
 */
function judgeEffectiveIsolation(profile: IsolationProfile, desired: readonly NetworkPolicy[], entries: Map<string, NamespaceStatus>, deps: ReconcileDeps): void {
  const name = profile.metadata.name;
  for (const policy of desired) {
    const namespace = policy.metadata.namespace ?? "";
    const entry = entries.get(namespace);
    if (entry?.state !== "Isolated") continue;
    const judged = judge(name, entry, policy, deps);
    if (judged !== entry) entries.set(namespace, judged);
  }
  deps.verdicts.prune(name, entries);
}

/** An Isolated entry as the namespace's policies leave it: the same entry, or Bypassed naming the widening rules. */
function judge(profileName: string, entry: NamespaceStatus, desired: NetworkPolicy, deps: ReconcileDeps): NamespaceStatus {
  const verdict = deps.verdicts.verdict(profileName, desired, deps.policies.byNamespace(desired.metadata.namespace ?? ""));
  if (verdict.state === "Isolated") return entry;
  const count = verdict.bypassedBy.length;
  return {
    ...entry,
    state: "Bypassed",
    message: `${String(count)} rule${count === 1 ? "" : "s"} of other NetworkPolicies admit${count === 1 ? "s" : ""} more than the profile`,
    bypassedBy: verdict.bypassedBy.slice(0, LIMITS.bypassedBy),
  };
}

/** Events that report a change of state: recorded every time, never skipped as repeats. */
const TRANSITION = { transition: true } as const;

/**
 * One Bypassed / BypassCleared event per pass that changes a namespace's
 * verdict; none while it stays. After a restart, namespaces the written status
 * did not list while it counted more bypassed ones than it listed may have been
 * Bypassed already: they get one event that says so, not a claimed transition.
 */
function reportTransitions(profile: IsolationProfile, entries: Iterable<NamespaceStatus>, previous: Pick<PreviousPass, "state" | "maybeBypassed">, deps: ReconcileDeps): void {
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

/** A write that landed (what was written, possibly re-planned after a re-read), a conflict, or a failure. */
type Written = { ok: true; wrote?: PlannedWrite } | { ok: false; conflict: string } | { ok: false; failure: WriteFailure };

/** Failures that mean "the object is not what the plan saw": read it again and plan once more. */
const STALE = new Set(["AlreadyExists", "Conflict", "NotFound"]);

/**
 * Writes one planned policy. When the object turns out to differ from what
 * the cache showed (created meanwhile, changed since, deleted since), reads it
 * from the API server and plans that one policy again, a few times at most.
 */
async function write(ref: ProfileRef, planned: PlannedWrite, deps: ReconcileDeps): Promise<Written> {
  const { name, namespace = "" } = planned.policy.metadata;
  let step = planned;
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = step.action === "update" && step.current ? await deps.writer.replace(step.policy, step.current) : await deps.writer.create(step.policy);
    if (result.ok) return { ok: true, wrote: step };
    if (!STALE.has(result.kind)) return { ok: false, failure: result };
    const live = await deps.writer.read(namespace, name);
    if (!live.ok) return { ok: false, failure: live };
    const again = planOne(ref, step.policy, live.value, step.drift === "deleted");
    if ("unchanged" in again) return { ok: true };
    if ("conflict" in again) return { ok: false, conflict: again.conflict };
    step = again.write;
  }
  return { ok: false, failure: { ok: false, kind: "Conflict", retryable: true, namespaceGone: false, message: `NetworkPolicy ${namespace}/${name} kept changing while netfence wrote it` } };
}

function healMessage(heals: { namespace: string; name: string; kind: DriftKind }[]): string {
  const [first] = heals;
  if (heals.length === 1 && first) return `Restored NetworkPolicy ${first.namespace}/${first.name}: ${first.kind} outside netfence`;
  return `Restored ${policies(heals.length)} changed outside netfence: ${firstFew(heals.map((h) => `${h.namespace} (${h.kind})`))}`;
}

/** Applies the plan; heals are counted from what the plan read off the live objects. */
async function execute(
  profile: IsolationProfile,
  plan: Plan,
  deps: ReconcileDeps,
  set: SetState,
  onFailure: (ns: string, f: WriteFailure) => void,
): Promise<{ cleanup: NamespaceStatus[]; nextMs?: number }> {
  const ref = refOf(profile);
  let created = 0;
  let updated = 0;
  const heals: { namespace: string; name: string; kind: DriftKind }[] = [];
  const contested = new Set<string>();
  const waits: number[] = [];
  const contest = deps.contest;
  await pool(plan.apply, deps.writeConcurrency, async (planned) => {
    const namespace = planned.policy.metadata.namespace ?? "";
    const k = key(planned.policy);
    if (contest && planned.drift) {
      const wait = contest.wait(k);
      if (wait > 0) {
        contested.add(namespace);
        waits.push(wait);
        return;
      }
    }
    const result = await write(ref, planned, deps);
    if (!result.ok) {
      if ("conflict" in result) set(namespace, "Conflict", { message: result.conflict });
      else onFailure(namespace, result.failure);
      return;
    }
    const wrote = result.wrote;
    if (!wrote) return;
    if (wrote.action === "create") {
      created++;
      deps.metrics.namespaceIsolated(namespace);
    } else {
      updated++;
    }
    if (wrote.drift) {
      heals.push({ namespace, name: planned.policy.metadata.name, kind: wrote.drift });
      contest?.healed(k);
    }
    if (contest?.contested(k)) contested.add(namespace);
  });
  if (contest) {
    const contestedNow = new Set(contest.contestedKeys());
    if (contestedNow.size) for (const p of plan.unchanged) if (contestedNow.has(key(p))) contested.add(p.metadata.namespace ?? "");
    const generated = policyName(profile.metadata.name);
    for (const ns of contested) {
      const quiet = contest.quietIn(`${ns}/${generated}`);
      if (quiet !== undefined) waits.push(quiet);
    }
  }
  for (const namespace of contested) set(namespace, "Contested", { message: "another client keeps changing this NetworkPolicy; netfence restores it with capped backoff" });
  if (heals.length) {
    deps.metrics.driftHealed(heals.length);
    heals.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
    deps.events.record(profile, "Normal", "DriftHealed", healMessage(heals), TRANSITION);
  }

  let deleted = 0;
  const cleanup: NamespaceStatus[] = [];
  await pool(plan.delete, deps.writeConcurrency, async (policy) => {
    const result = await deps.writer.remove(policy);
    if (result.ok) deleted++;
    else if (!result.namespaceGone) {
      const namespace = policy.metadata.namespace ?? "";
      deps.log.warn({ namespace, networkPolicy: policy.metadata.name, err: result.message }, "Could not delete NetworkPolicy; retrying");
      cleanup.push({ name: namespace, state: result.retryable ? "Pending" : "Failed", policy: policy.metadata.name, message: `no longer selected, but deleting the NetworkPolicy failed: ${result.message}`.slice(0, 500) });
    }
  });
  if (created + updated) deps.events.record(profile, "Normal", "Applied", `Applied ${policies(created + updated)} (${String(created)} created, ${String(updated)} updated)`);
  if (deleted) deps.events.record(profile, "Normal", "Deleted", `Deleted ${policies(deleted)} no longer selected`);
  if (created + updated + deleted) {
    deps.log.info({ isolationProfile: profile.metadata.name, created, updated, deleted, healed: heals.length, unchanged: plan.unchanged.length }, "Reconciled IsolationProfile");
  }
  return waits.length ? { cleanup, nextMs: Math.min(...waits) } : { cleanup };
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

/**
 * Writes the status unless the API server already has it: the cached profile
 * shows it and it is what netfence wrote last (the cache may not show that
 * write yet; its own status echo does not bring the profile back).
 */
async function writeStatus(deps: ReconcileDeps, profile: IsolationProfile, status: IsolationProfileStatus): Promise<ReconcileResult> {
  const last = deps.inPlace.lastWritten(profile);
  if (sameJson(profile.status, status) && (last === undefined || sameJson(last, status))) return DONE;
  const result = await deps.profileWriter.writeStatus(profile, status);
  if (!result.ok) {
    deps.log.warn({ isolationProfile: profile.metadata.name, err: result.message }, "Could not write status; retrying");
    return { retry: true };
  }
  deps.inPlace.wrote(profile, status);
  return DONE;
}

/**
 * A write of the finalizer failed. The profile is gone (NotFound): nothing
 * to do. The cache was behind (Conflict): the pass runs again with the
 * queue's backoff on a fresher object, not a failure to show. Anything else
 * is logged, shown in status (Ready=False, Degraded=True, FinalizerFailed)
 * and retried with the queue's backoff, retryable or not (RBAC or a webhook
 * may be fixed meanwhile).
 */
async function finalizerFailed(profile: IsolationProfile, deps: ReconcileDeps, operation: "adding" | "removing", failure: WriteFailure, consequence: string, now: string): Promise<ReconcileResult> {
  const name = profile.metadata.name;
  if (failure.kind === "NotFound") return DONE;
  if (failure.kind === "Conflict") {
    deps.log.debug({ isolationProfile: name, err: failure.message }, `The profile changed while ${operation} its finalizer; retrying`);
    return { retry: true };
  }
  deps.log.warn({ isolationProfile: name, kind: failure.kind, err: failure.message }, `Could not write the finalizer (${operation}); retrying`);
  const message = `${operation} the finalizer ${FINALIZER} failed (${failure.message}); ${consequence}; retrying with backoff`;
  await writeStatus(deps, profile, lifecycleFailedStatus(profile.status, profile.metadata.generation ?? 0, "FinalizerFailed", message, now));
  return { retry: true };
}

/** Cleaning up a deleted profile's policies failed: logged, shown in status (CleanupFailed) and retried with the queue's backoff. */
async function cleanupFailed(profile: IsolationProfile, deps: ReconcileDeps, message: string, now: string): Promise<ReconcileResult> {
  deps.log.warn({ isolationProfile: profile.metadata.name, err: message }, "Could not clean up the profile's NetworkPolicies; retrying");
  await writeStatus(deps, profile, lifecycleFailedStatus(profile.status, profile.metadata.generation ?? 0, "CleanupFailed", `${message}; the profile is removed once that succeeds; retrying with backoff`, now));
  return { retry: true };
}

/**
 * The profile is being deleted: delete (or detach) what it owns, then release
 * the finalizer. The owned policies are listed from the API server, not the
 * cache: one the informer has not seen yet would otherwise be missed (and,
 * with Orphan, deleted by the garbage collector after all). Until the
 * finalizer is released the profile's status is still written: every failure
 * on the way is shown there and retried.
 */
async function finalize(profile: IsolationProfile, deps: ReconcileDeps): Promise<ReconcileResult> {
  const finalizers = profile.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return DONE;
  const now = timestamp(deps);
  const name = profile.metadata.name;
  const orphan = (profile.spec as { deletionPolicy?: string } | undefined)?.deletionPolicy === "Orphan";
  const listed = await deps.writer.list(`${LABEL_PROFILE}=${profileLabelValue(name)}`);
  if (!listed.ok) return cleanupFailed(profile, deps, `listing the profile's NetworkPolicies to ${orphan ? "detach" : "delete"} failed (${listed.message})`, now);
  const owned = listed.value.filter((p) => isOwnedBy(p, name, profile.metadata.uid));
  const uid = profile.metadata.uid ?? "";
  const results = await pool(owned, deps.writeConcurrency, async (p) => ({ namespace: p.metadata.namespace ?? "", result: await (orphan ? deps.writer.detach(p, uid) : deps.writer.remove(p)) }));
  const failed = results.filter((r): r is { namespace: string; result: WriteFailure } => !r.result.ok && !r.result.namespaceGone && r.result.kind !== "NotFound");
  const [first] = failed;
  if (first) {
    const where = firstFew(failed.map((f) => f.namespace).sort());
    return cleanupFailed(profile, deps, `${orphan ? "detaching" : "deleting"} NetworkPolicy ${policyName(name)} failed in ${where} (${first.result.message})`, now);
  }
  deps.log.info({ isolationProfile: name, policies: owned.length, deletionPolicy: orphan ? "Orphan" : "Delete" }, "Cleaned up IsolationProfile");
  const released = await deps.profileWriter.setFinalizers(profile, finalizers.filter((f) => f !== FINALIZER));
  if (released.ok || released.kind === "NotFound") {
    deps.inPlace.forget(uid);
    return DONE;
  }
  return finalizerFailed(profile, deps, "removing", released, "the profile's NetworkPolicies are cleaned up and the profile stays until it succeeds", now);
}
