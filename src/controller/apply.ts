/**
 * The writes of a pass and the contest: each planned policy written (re-read
 * and planned again when the cache was behind), heals counted from what the
 * live objects showed, a policy another client keeps changing held back, and
 * policies no longer selected deleted.
 */
import type { IsolationProfile, NamespaceStatus } from "../api/types.js";
import { firstFew } from "../lib/first-few.js";
import { pool } from "../lib/pool.js";
import { planOne, type DriftKind, type Plan, type PlannedWrite } from "../policy/plan.js";
import { memoryKey, refOf, type ReconcileDeps } from "./deps.js";
import { TRANSITION } from "./judge.js";
import type { WriteFailure } from "./ports.js";

export type SetState = (namespace: string, state: NamespaceStatus["state"], extra?: Partial<NamespaceStatus>) => void;

export const policies = (n: number) => `${String(n)} NetworkPolic${n === 1 ? "y" : "ies"}`;

/** A write that landed (what was written, possibly re-planned after a re-read), a conflict, or a failure. */
type Written = { ok: true; wrote?: PlannedWrite } | { ok: false; conflict: string } | { ok: false; failure: WriteFailure };

/** Failures that mean "the object is not what the plan saw": read it again and plan once more. */
const STALE = new Set(["AlreadyExists", "Conflict", "NotFound"]);

/**
 * Writes one planned policy. When the object turns out to differ from what
 * the cache showed (created meanwhile, changed since, deleted since), reads it
 * from the API server and plans that one policy again, a few times at most.
 */
async function write(profile: IsolationProfile, planned: PlannedWrite, deps: ReconcileDeps): Promise<Written> {
  const ref = refOf(profile);
  const { name, namespace = "" } = planned.policy.metadata;
  let step = planned;
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = step.action === "update" && step.current ? await deps.writer.replace(step.policy, step.current) : await deps.writer.create(step.policy);
    if (result.ok) {
      deps.inPlace.wroteVersion(profile, namespace, result.resourceVersion);
      return { ok: true, wrote: step };
    }
    if (!STALE.has(result.kind)) return { ok: false, failure: result };
    const live = await deps.writer.read(namespace, name);
    if (!live.ok) return { ok: false, failure: live };
    const again = planOne(ref, step.policy, live.value, step.drift === "deleted", deps.inPlace.lastWritten(profile, namespace));
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
export async function execute(
  profile: IsolationProfile,
  plan: Plan,
  deps: ReconcileDeps,
  set: SetState,
  onFailure: (ns: string, f: WriteFailure) => void,
): Promise<{ cleanup: NamespaceStatus[]; nextMs?: number }> {
  let created = 0;
  let updated = 0;
  const heals: { namespace: string; name: string; kind: DriftKind }[] = [];
  const contested = new Set<string>();
  const waits: number[] = [];
  const contest = deps.contest;
  const memory = memoryKey(profile);
  const streak = (namespace: string) => `${memory}/${namespace}`;
  await pool(plan.apply, deps.writeConcurrency, async (planned) => {
    const namespace = planned.policy.metadata.namespace ?? "";
    const k = streak(namespace);
    if (contest && planned.drift) {
      const wait = contest.wait(k);
      if (wait > 0) {
        contested.add(namespace);
        waits.push(wait);
        return;
      }
    }
    const result = await write(profile, planned, deps);
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
    if (contestedNow.size) for (const p of plan.unchanged) if (contestedNow.has(streak(p.metadata.namespace ?? ""))) contested.add(p.metadata.namespace ?? "");
    for (const ns of contested) {
      const quiet = contest.quietIn(streak(ns));
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

