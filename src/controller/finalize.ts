/**
 * A profile being deleted: what it owns (ownership.ts) is deleted or, with
 * deletionPolicy Orphan, detached; then its finalizer is released. Every
 * failure on the way is shown in status and retried.
 */
import { FINALIZER } from "../api/constants.js";
import type { IsolationProfile } from "../api/types.js";
import { firstFew } from "../lib/first-few.js";
import { pool } from "../lib/pool.js";
import { policyName } from "../policy/naming.js";
import { ownedBy } from "../policy/ownership.js";
import { lifecycleFailedStatus } from "../policy/status.js";
import { DONE, forgetProfile, refOf, timestamp, writeStatus, type ReconcileDeps, type ReconcileResult } from "./deps.js";
import type { WriteFailure } from "./ports.js";

/**
 * A write of the finalizer failed. The profile is gone (NotFound): nothing
 * to do. The cache was behind (Conflict): the pass runs again with the
 * queue's backoff on a fresher object, not a failure to show. Anything else
 * is logged, shown in status (Ready=False, Degraded=True, FinalizerFailed)
 * and retried with the queue's backoff, retryable or not (RBAC or a webhook
 * may be fixed meanwhile).
 */
export async function finalizerFailed(profile: IsolationProfile, deps: ReconcileDeps, operation: "adding" | "removing", failure: WriteFailure, consequence: string, now: string): Promise<ReconcileResult> {
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
 * The profile's Admin-tier object in every served kind, read from the API
 * server (not the cache), deleted or detached when the profile owns it (its
 * uid). Returns what failed, or undefined.
 */
async function finalizeAdminTier(profile: IsolationProfile, deps: ReconcileDeps, orphan: boolean): Promise<string | undefined> {
  const enforcement = deps.enforcement;
  if (!enforcement) return undefined;
  const name = policyName(profile.metadata.name);
  const ref = refOf(profile);
  for (const kind of enforcement.served) {
    const read = await enforcement.writer.read(kind, name);
    if (!read.ok) return `reading ${kind} ${name} to ${orphan ? "detach" : "delete"} it failed (${read.message})`;
    if (!read.value || !ownedBy(read.value, ref)) continue;
    const result = orphan ? await enforcement.writer.detach(kind, read.value, profile.metadata.uid ?? "") : await enforcement.writer.remove(kind, read.value);
    if (!result.ok && result.kind !== "NotFound") return `${orphan ? "detaching" : "deleting"} ${kind} ${name} failed (${result.message})`;
  }
  return undefined;
}

/**
 * The profile is being deleted: delete (or detach) what it owns, then release
 * the finalizer. The owned policies are listed from the API server, not the
 * cache: one the informer has not seen yet would otherwise be missed (and,
 * with Orphan, deleted by the garbage collector after all). Until the
 * finalizer is released the profile's status is still written: every failure
 * on the way is shown there and retried.
 */
export async function finalize(profile: IsolationProfile, deps: ReconcileDeps): Promise<ReconcileResult> {
  const finalizers = profile.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return DONE;
  const now = timestamp(deps);
  const name = profile.metadata.name;
  const orphan = (profile.spec as { deletionPolicy?: string } | undefined)?.deletionPolicy === "Orphan";
  // Listed by the generated name, not by label: a policy whose labels were removed is still the profile's (ownership.ts).
  const listed = await deps.writer.listNamed(policyName(name));
  if (!listed.ok) return cleanupFailed(profile, deps, `listing the profile's NetworkPolicies to ${orphan ? "detach" : "delete"} failed (${listed.message})`, now);
  const ref = refOf(profile);
  const owned = listed.value.filter((p) => ownedBy(p, ref));
  const uid = profile.metadata.uid ?? "";
  const results = await pool(owned, deps.writeConcurrency, async (p) => ({ namespace: p.metadata.namespace ?? "", result: await (orphan ? deps.writer.detach(p, uid) : deps.writer.remove(p)) }));
  const failed = results.filter((r): r is { namespace: string; result: WriteFailure } => !r.result.ok && !r.result.namespaceGone && r.result.kind !== "NotFound");
  const [first] = failed;
  if (first) {
    const where = firstFew(failed.map((f) => f.namespace).sort());
    return cleanupFailed(profile, deps, `${orphan ? "detaching" : "deleting"} NetworkPolicy ${policyName(name)} failed in ${where} (${first.result.message})`, now);
  }
  const admin = await finalizeAdminTier(profile, deps, orphan);
  if (admin) return cleanupFailed(profile, deps, admin, now);
  deps.log.info({ isolationProfile: name, policies: owned.length, deletionPolicy: orphan ? "Orphan" : "Delete" }, "Cleaned up IsolationProfile");
  const released = await deps.profileWriter.setFinalizers(profile, finalizers.filter((f) => f !== FINALIZER));
  if (released.ok || released.kind === "NotFound") {
    forgetProfile(deps, profile);
    return DONE;
  }
  return finalizerFailed(profile, deps, "removing", released, "the profile's NetworkPolicies are cleaned up and the profile stays until it succeeds", now);
}
