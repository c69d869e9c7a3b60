/**
 * What a pass of the reconciler needs (its ports and its memory), what it
 * returns, and the one status write every part of it ends with.
 */
import type { Logger } from "pino";
import type { IsolationProfile, IsolationProfileStatus } from "../api/types.js";
import type { Namespace, NetworkPolicy, Pod } from "../k8s/objects.js";
import type { ProfileRef } from "../policy/ownership.js";
import type { RenderOptions } from "../policy/render.js";
import { sameJson } from "../policy/status.js";
import type { DriftContest } from "./contest.js";
import type { InPlaceLedger } from "./in-place.js";
import type { PassMemo } from "./memo.js";
import type { VerdictMemo } from "./verdicts.js";
import type { AdminTierView } from "./admin-tier.js";
import type { AdminTierWriter, EventRecorder, PolicyWriter, ProfileWriter, ReadCache, ReconcileMetrics } from "./ports.js";
import type { AdminKind } from "../policy/admin-render.js";
import type { TenantReachMemo } from "../policy/admin-envelope.js";
import type { DataPlane } from "../policy/enforcement.js";

/** Enforcement in the Admin tier: what the API serves, what enforces it, and the writer. */
export interface AdminEnforcement {
  /** The Admin-tier kinds the API serves and netfence watches, each at its preferred version. */
  served: readonly AdminKind[];
  plane: DataPlane;
  writer: AdminTierWriter;
  /** The tenant policies as the Admin tier leaves them, one object per input (the verdict memo compares by identity). */
  reach: TenantReachMemo;
}

export interface ReconcileDeps {
  profiles: ReadCache<IsolationProfile>;
  namespaces: ReadCache<Namespace>;
  pods: ReadCache<Pod>;
  /** Every NetworkPolicy (netfence's own and everyone else's: the effective-isolation verdict reads them all). */
  policies: ReadCache<NetworkPolicy>;
  /** The Admin-tier policies the API serves (ClusterNetworkPolicy, AdminNetworkPolicy); none: only NetworkPolicies are read. */
  tiers?: AdminTierView;
  /** Admin-tier enforcement; none: NetworkPolicies only (spec.enforcement is then reported, not honoured). */
  enforcement?: AdminEnforcement;
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

export const DONE: ReconcileResult = {};

/** Now, as a metav1.Time (second precision). */
export const timestamp = (deps: ReconcileDeps) => deps.now().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * The one key of everything netfence remembers about a profile between passes
 * (InPlaceLedger, PassMemo, VerdictMemo, DriftContest): its uid, so a profile
 * deleted and created again under the same name starts afresh. (The name
 * stands in only where an object has no uid: tests.)
 */
export function memoryKey(profile: IsolationProfile | ProfileRef): string {
  const { uid, name } = "metadata" in profile ? profile.metadata : profile;
  return uid || name;
}

/**
 * Forgets a deleted profile everywhere at once. Four stores, one key: each
 * keeps what it keeps for its own span — the previous pass and the written
 * status (across generations), the render and verified policies (one
 * generation), the verdicts (until a namespace's inputs change), the heal
 * streaks (until a policy stays put) — so their entries end at different times.
 */
export function forgetProfile(deps: Pick<ReconcileDeps, "inPlace" | "memo" | "verdicts" | "contest">, profile: IsolationProfile): void {
  const key = memoryKey(profile);
  deps.inPlace.forget(key);
  deps.memo?.forget(key);
  deps.verdicts.forget(key);
  deps.contest?.forget(key);
}

/** The profile object as ownership knows it: its name and uid. */
export const refOf = (profile: IsolationProfile): ProfileRef => (profile.metadata.uid ? { name: profile.metadata.name, uid: profile.metadata.uid } : { name: profile.metadata.name });

/**
 * Writes the status unless the API server already has it: the cached profile
 * shows it and it is what netfence wrote last (the cache may not show that
 * write yet; its own status echo does not bring the profile back).
 */
export async function writeStatus(deps: ReconcileDeps, profile: IsolationProfile, status: IsolationProfileStatus): Promise<ReconcileResult> {
  const last = deps.inPlace.lastStatus(profile);
  if (sameJson(profile.status, status) && (last === undefined || sameJson(last, status))) return DONE;
  const result = await deps.profileWriter.writeStatus(profile, status);
  if (!result.ok) {
    deps.log.warn({ isolationProfile: profile.metadata.name, err: result.message }, "Could not write status; retrying");
    return { retry: true };
  }
  deps.inPlace.wrote(profile, status);
  return DONE;
}

