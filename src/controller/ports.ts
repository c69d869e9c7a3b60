/**
 * What the reconciler needs from the outside world, as interfaces. src/io/
 * implements them on @kubernetes/client-node; the reconciler never imports it.
 */
import type { IsolationProfile, IsolationProfileStatus } from "../api/types.js";
import type { NetworkPolicy } from "../policy/k8s.js";

/** A read-only view of an informer cache. */
export interface ReadCache<T> {
  get(name: string, namespace?: string): T | undefined;
  /** May be a shared snapshot: never mutate it. */
  list(): readonly T[];
  byNamespace(namespace: string): readonly T[];
}

export type WriteFailure = {
  ok: false;
  /** AlreadyExists, NotFound, Conflict, Invalid, Forbidden, TooManyRequests, ServerError, Network, … */
  kind: string;
  retryable: boolean;
  /** The namespace is gone or being terminated: not an error of the profile. */
  namespaceGone: boolean;
  message: string;
};
export type WriteResult = { ok: true } | WriteFailure;

export interface PolicyWriter {
  /** POST: fails with AlreadyExists when any policy of that name exists (never takes over a user's). */
  create(policy: NetworkPolicy): Promise<WriteResult>;
  /** Server-side apply (field manager netfence, force) of a policy netfence owns. */
  apply(policy: NetworkPolicy): Promise<WriteResult>;
  /** Server-side dry-run apply (DryRun mode): validates without writing. */
  dryRun(policy: NetworkPolicy): Promise<WriteResult>;
  /** Deletes, preconditioned on the uid netfence saw, so a replaced object is never deleted. */
  remove(policy: NetworkPolicy): Promise<WriteResult>;
  /** Removes netfence's labels, annotation and owner reference (deletionPolicy Orphan). */
  detach(policy: NetworkPolicy, profileUid: string): Promise<WriteResult>;
  /** Reads one policy from the API server (not the cache). */
  read(namespace: string, name: string): Promise<NetworkPolicy | undefined>;
}

export interface ProfileWriter {
  /** Writes status (merge patch on /status). */
  writeStatus(profile: IsolationProfile, status: IsolationProfileStatus): Promise<WriteResult>;
  /** Sets metadata.finalizers, preconditioned on the resourceVersion seen. */
  setFinalizers(profile: IsolationProfile, finalizers: string[]): Promise<WriteResult>;
}

export interface EventRecorder {
  /** A Kubernetes Event on the profile (best effort, never fails the reconcile). */
  record(profile: IsolationProfile, type: "Normal" | "Warning", reason: string, message: string): void;
}

export interface ReconcileMetrics {
  driftHealed(count: number): void;
  namespaceIsolated(namespace: string): void;
}
