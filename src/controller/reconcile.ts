/**
 * One reconcile of one IsolationProfile, level-triggered and idempotent: it
 * never asks which event happened; it compares what the profile wants with
 * what the caches hold, writes only the difference, and reports status once.
 */
import type { Logger } from "pino";
import { FINALIZER, LABEL_PROFILE } from "../api/constants.js";
import { formatIssues, parseProfile } from "../api/parse.js";
import type { IsolationProfile, IsolationProfileStatus, NamespaceStatus, ParsedProfile } from "../api/types.js";
import type { Namespace, NetworkPolicy, Pod } from "../policy/k8s.js";
import { selectNamespaces } from "../policy/namespaces.js";
import { policyName, profileLabelValue } from "../policy/naming.js";
import { isOwnedBy, planChanges, type Plan } from "../policy/plan.js";
import { renderProfile, type RenderOptions } from "../policy/render.js";
import { matchesSelector } from "../policy/selectors.js";
import { computeStatus, invalidSpecStatus, sameJson, setCondition, type ReconcileOutcome } from "../policy/status.js";
import type { DriftContest } from "./contest.js";
import type { PassMemo } from "./memo.js";
import type { EventRecorder, PolicyWriter, ProfileWriter, ReadCache, ReconcileMetrics, WriteFailure, WriteResult } from "./ports.js";

export interface ReconcileDeps {
  profiles: ReadCache<IsolationProfile>;
  namespaces: ReadCache<Namespace>;
  pods: ReadCache<Pod>;
  /** Only policies labelled app.kubernetes.io/managed-by=netfence. */
  policies: ReadCache<NetworkPolicy>;
  writer: PolicyWriter;
  profileWriter: ProfileWriter;
  events: EventRecorder;
  metrics: ReconcileMetrics;
  /**
   * "namespace/name" of managed policies deleted by someone else (filled from
   * delete events); re-creating one counts as a drift heal.
   */
  driftSuspects: Set<string>;
  /** Holds back heals of policies another client keeps changing (no hot loop); none: heal at once. */
  contest?: DriftContest;
  /** Reuses rendering and verified policies between passes of one generation; none: every pass from scratch. */
  memo?: PassMemo;
  render: RenderOptions;
  /** Parallel writes within one pass (the client's QPS limiter still applies). */
  writeConcurrency: number;
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

/** Runs `fn` over items with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const policies = (n: number) => `${String(n)} NetworkPolic${n === 1 ? "y" : "ies"}`;
const key = (p: NetworkPolicy) => `${p.metadata.namespace ?? ""}/${p.metadata.name}`;

function ownedPolicies(deps: ReconcileDeps, profile: IsolationProfile): NetworkPolicy[] {
  const name = profile.metadata.name;
  const label = profileLabelValue(name);
  return deps.policies.list().filter((p) => p.metadata.labels?.[LABEL_PROFILE] === label && isOwnedBy(p, name, profile.metadata.uid));
}

export async function reconcileProfile(name: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const profile = deps.profiles.get(name);
  if (!profile) return DONE;
  if (profile.metadata.deletionTimestamp) return finalize(profile, deps);

  const finalizers = profile.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) {
    const added = await deps.profileWriter.setFinalizers(profile, [...finalizers, FINALIZER]);
    // A conflict means the cache is behind: the update event brings us back.
    if (!added.ok) return { retry: added.retryable || added.kind === "Conflict" };
  }

  const parsed = parseProfile(profile);
  // metav1.Time has second precision.
  const now = deps.now().toISOString().replace(/\.\d+Z$/, "Z");
  const generation = profile.metadata.generation ?? 0;
  if (!parsed.ok) {
    const message = formatIssues(parsed.issues);
    deps.events.record(profile, "Warning", "InvalidSpec", message);
    return writeStatus(deps, profile, invalidSpecStatus(profile.status, generation, message, now));
  }
  return enforce(profile, parsed.value, deps, generation, now);
}

async function enforce(profile: IsolationProfile, parsed: ParsedProfile, deps: ReconcileDeps, generation: number, now: string): Promise<ReconcileResult> {
  const spec = parsed.spec;
  const all = deps.namespaces.list();
  const selected = selectNamespaces(spec, all, { operatorNamespace: deps.render.operatorNamespace });
  const active = selected.filter((ns) => !ns.metadata.deletionTimestamp);
  const version = `${profile.metadata.uid ?? ""}/${String(generation)}`;
  const desired = deps.memo ? deps.memo.render(profile.metadata.name, version, parsed, active, deps.render) : renderProfile(parsed, active, deps.render);
  const owned = ownedPolicies(deps, profile);
  const plan = deps.memo ? deps.memo.plan(profile.metadata.name, version, desired, owned) : planChanges(profile.metadata.name, desired, owned);
  const generatedName = policyName(profile.metadata.name);

  const entries = new Map<string, NamespaceStatus>();
  const set = (namespace: string, state: NamespaceStatus["state"], extra?: Partial<NamespaceStatus>) =>
    entries.set(namespace, extra ? { name: namespace, state, policy: generatedName, ...extra } : { name: namespace, state, policy: generatedName });
  for (const ns of active) set(ns.metadata.name, "Isolated");
  for (const c of plan.conflicts) set(c.namespace, "Conflict", { message: c.reason });

  const failures = { retryable: 0 };
  const onFailure = (namespace: string, f: WriteFailure) => {
    if (f.namespaceGone) {
      entries.delete(namespace);
      return;
    }
    if (f.retryable) failures.retryable++;
    set(namespace, f.retryable ? "Pending" : "Failed", { message: f.message.slice(0, 500) });
  };

  let requeueAfterMs: number | undefined;
  if (spec.mode === "DryRun") {
    await dryRun(plan, deps, set, onFailure);
  } else {
    const { healed, contested, nextMs } = await execute(profile, plan, deps, set, onFailure);
    requeueAfterMs = nextMs;
    for (const namespace of contested) set(namespace, "Conflict", { message: CONTESTED });
    if (healed) {
      deps.metrics.driftHealed(healed);
      deps.events.record(profile, "Normal", "DriftHealed", `Restored ${policies(healed)} edited or deleted outside netfence`);
    }
  }

  let isolatedPods = 0;
  for (const e of entries.values()) {
    if (e.state !== "Isolated") continue;
    for (const pod of deps.pods.byNamespace(e.name)) if (matchesSelector(spec.podSelector, pod.metadata.labels)) isolatedPods++;
  }
  const outcome: ReconcileOutcome = { generation, mode: spec.mode, namespaces: [...entries.values()], isolatedPods };
  if (active.length === 0) outcome.emptySelectionReason = emptySelectionReason(parsed, all);
  const conflicts = [...entries.values()].filter((e) => e.state === "Conflict").map((e) => e.name);
  if (conflicts.length) {
    deps.events.record(profile, "Warning", "Conflict", `NetworkPolicy ${generatedName} exists but is not managed by this profile in: ${conflicts.slice(0, 10).join(", ")}`);
  }
  const written = await writeStatus(deps, profile, contestedStatus(computeStatus(profile.status, outcome, now), entries, generation, now));
  const retry = failures.retryable > 0 || written.retry === true;
  return retry || requeueAfterMs === undefined ? { retry } : { requeueAfterMs };
}

const CONTESTED = "another client keeps deleting or editing this NetworkPolicy; netfence restores it with backoff";

/** Degraded says why when the only problem is a policy another client keeps changing. */
function contestedStatus(status: IsolationProfileStatus, entries: Map<string, NamespaceStatus>, generation: number, now: string): IsolationProfileStatus {
  const contested = [...entries.values()].filter((e) => e.state === "Conflict" && e.message === CONTESTED).map((e) => e.name).sort();
  const otherConflicts = [...entries.values()].some((e) => (e.state === "Conflict" && e.message !== CONTESTED) || e.state === "Failed");
  if (contested.length === 0 || otherConflicts) return status;
  const shown = contested.length > 5 ? `${contested.slice(0, 5).join(", ")} and ${String(contested.length - 5)} more` : contested.join(", ");
  const message = `another client keeps deleting or editing the generated NetworkPolicy in ${shown}; netfence restores it with capped backoff`;
  const conditions = setCondition(status.conditions ?? [], { type: "Degraded", status: "True", reason: "Conflict", message, observedGeneration: generation }, now);
  return { ...status, conditions };
}

/** Applies the plan; returns how many writes restored drift. */
async function execute(
  profile: IsolationProfile,
  plan: Plan,
  deps: ReconcileDeps,
  set: (ns: string, state: NamespaceStatus["state"], extra?: Partial<NamespaceStatus>) => void,
  onFailure: (ns: string, f: WriteFailure) => void,
): Promise<{ healed: number; contested: string[]; nextMs?: number }> {
  let created = 0;
  let updated = 0;
  let healed = 0;
  const contested: string[] = [];
  const waits: number[] = [];
  const contest = deps.contest;
  await pool(plan.apply, deps.writeConcurrency, async ({ policy, action }) => {
    const namespace = policy.metadata.namespace ?? "";
    const k = key(policy);
    // Judged before the write: once it lands, the cache may already hold our own update.
    const drift = action === "update" && isDrift(policy, deps);
    if (contest && (drift || deps.driftSuspects.has(k))) {
      const wait = contest.wait(k);
      if (wait > 0) {
        contested.push(namespace);
        waits.push(wait);
        return;
      }
    }
    const result = action === "create" ? await createOrAdopt(profile, policy, deps) : await deps.writer.apply(policy);
    if (result === "conflict") {
      set(namespace, "Conflict", { message: `NetworkPolicy ${policy.metadata.name} exists and is not managed by netfence` });
      return;
    }
    if (!result.ok) return onFailure(namespace, result);
    if (action === "create") {
      created++;
      deps.metrics.namespaceIsolated(namespace);
    } else {
      updated++;
    }
    if (deps.driftSuspects.delete(k) || drift) {
      healed++;
      contest?.healed(k);
    }
    if (contest?.contested(k)) contested.push(namespace);
  });
  if (contest) {
    const contestedNow = new Set(contest.contestedKeys());
    if (contestedNow.size) for (const p of plan.unchanged) if (contestedNow.has(key(p))) contested.push(p.metadata.namespace ?? "");
    const generated = policyName(profile.metadata.name);
    for (const ns of contested) {
      const quiet = contest.quietIn(`${ns}/${generated}`);
      if (quiet !== undefined) waits.push(quiet);
    }
  }
  let deleted = 0;
  await pool(plan.delete, deps.writeConcurrency, async (policy) => {
    const result = await deps.writer.remove(policy);
    if (!result.ok && !result.namespaceGone) {
      deps.log.warn({ namespace: policy.metadata.namespace, networkPolicy: policy.metadata.name, err: result.message }, "Could not delete NetworkPolicy");
      return;
    }
    if (result.ok) deleted++;
  });
  if (created + updated) deps.events.record(profile, "Normal", "Applied", `Applied ${policies(created + updated)} (${String(created)} created, ${String(updated)} updated)`);
  if (deleted) deps.events.record(profile, "Normal", "Deleted", `Deleted ${policies(deleted)} no longer selected`);
  if (created + updated + deleted) {
    deps.log.info({ isolationProfile: profile.metadata.name, created, updated, deleted, unchanged: plan.unchanged.length }, "Reconciled IsolationProfile");
  }
  return waits.length ? { healed, contested, nextMs: Math.min(...waits) } : { healed, contested };
}

/** An owned policy whose annotation still says "ours, current" but whose spec was edited. */
function isDrift(policy: NetworkPolicy, deps: ReconcileDeps): boolean {
  const cached = deps.policies.get(policy.metadata.name, policy.metadata.namespace);
  return cached !== undefined && !sameJson(cached.spec, policy.spec) && sameJson(cached.metadata.annotations, policy.metadata.annotations);
}

/** POST; when the name is taken, adopt it only if it is ours (a stale cache), otherwise report a conflict. */
async function createOrAdopt(profile: IsolationProfile, policy: NetworkPolicy, deps: ReconcileDeps): Promise<WriteResult | "conflict"> {
  const created = await deps.writer.create(policy);
  if (created.ok || created.kind !== "AlreadyExists") return created;
  const existing = await deps.writer.read(policy.metadata.namespace ?? "", policy.metadata.name).catch(() => undefined);
  if (existing && isOwnedBy(existing, profile.metadata.name, profile.metadata.uid)) return deps.writer.apply(policy);
  return existing ? "conflict" : deps.writer.create(policy);
}

async function dryRun(
  plan: Plan,
  deps: ReconcileDeps,
  set: (ns: string, state: NamespaceStatus["state"], extra?: Partial<NamespaceStatus>) => void,
  onFailure: (ns: string, f: WriteFailure) => void,
): Promise<void> {
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

async function writeStatus(deps: ReconcileDeps, profile: IsolationProfile, status: IsolationProfile["status"]): Promise<ReconcileResult> {
  if (sameJson(profile.status, status)) return DONE;
  const result = await deps.profileWriter.writeStatus(profile, status ?? {});
  if (!result.ok) {
    deps.log.warn({ isolationProfile: profile.metadata.name, err: result.message }, "Could not write status");
    return { retry: result.retryable };
  }
  return DONE;
}

/** The profile is being deleted: delete (or detach) what it owns, then release the finalizer. */
async function finalize(profile: IsolationProfile, deps: ReconcileDeps): Promise<ReconcileResult> {
  const finalizers = profile.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return DONE;
  const orphan = (profile.spec as { deletionPolicy?: string } | undefined)?.deletionPolicy === "Orphan";
  const owned = ownedPolicies(deps, profile);
  const uid = profile.metadata.uid ?? "";
  const results = await pool(owned, deps.writeConcurrency, (p) => (orphan ? deps.writer.detach(p, uid) : deps.writer.remove(p)));
  const failed = results.filter((r): r is WriteFailure => !r.ok && !r.namespaceGone && r.kind !== "NotFound");
  if (failed.length) {
    deps.log.warn({ isolationProfile: profile.metadata.name, failed: failed.length, err: failed[0]?.message }, "Could not clean up NetworkPolicies; retrying");
    return { retry: true };
  }
  deps.log.info({ isolationProfile: profile.metadata.name, policies: owned.length, deletionPolicy: orphan ? "Orphan" : "Delete" }, "Cleaned up IsolationProfile");
  const released = await deps.profileWriter.setFinalizers(profile, finalizers.filter((f) => f !== FINALIZER));
  return released.ok ? DONE : { retry: released.retryable || released.kind === "Conflict" };
}
