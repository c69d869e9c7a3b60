/**
 * What the reconciler needs from the outside world, as interfaces. src/io/
 * implements them on @kubernetes/client-node; the reconciler never imports it.
 */
import type { IsolationProfile, IsolationProfileStatus, NamespaceStatus } from "../api/types.js";
import type { NetworkPolicy, ObjectMeta } from "../k8s/objects.js";
import type { AdminKind, AdminTierObject } from "../policy/admin-render.js";

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
/** A write that landed; `resourceVersion`: of the object as written, when the API server said. */
export type WriteResult = { ok: true; resourceVersion?: string } | WriteFailure;
export type ReadResult<T> = { ok: true; value: T } | WriteFailure;

export interface PolicyWriter {
  /** POST: fails with AlreadyExists when any policy of that name exists (never takes over a user's). */
  create(policy: NetworkPolicy): Promise<WriteResult>;
  /**
   * PUT over the live object `current` (preconditioned on its resourceVersion:
   * Conflict when it changed since): the spec becomes exactly `policy.spec`,
   * netfence's labels, annotation and owner reference are set, and every
   * other label, annotation, owner reference and finalizer is kept. A replace,
   * not an apply: fields another client added disappear whoever owns them.
   */
  replace(policy: NetworkPolicy, current: NetworkPolicy): Promise<WriteResult>;
  /** Server-side dry-run apply (DryRun mode): validates without writing. */
  dryRun(policy: NetworkPolicy): Promise<WriteResult>;
  /** Deletes, preconditioned on the uid netfence saw, so a replaced object is never deleted. */
  remove(policy: NetworkPolicy): Promise<WriteResult>;
  /** Removes netfence's labels, annotation and owner reference (deletionPolicy Orphan). */
  detach(policy: NetworkPolicy, profileUid: string): Promise<WriteResult>;
  /** Reads one policy from the API server (not the cache); undefined when there is none. */
  read(namespace: string, name: string): Promise<ReadResult<NetworkPolicy | undefined>>;
  /** Every policy of this name, in all namespaces, from the API server (not the cache). */
  listNamed(name: string): Promise<ReadResult<NetworkPolicy[]>>;
}

/** A cluster-scoped Admin-tier object as the API server holds it. */
export interface AdminTierLive {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
}

/** The writes of the Admin-tier object (ClusterNetworkPolicy or AdminNetworkPolicy), as PolicyWriter's for NetworkPolicies. */
export interface AdminTierWriter {
  /** POST: AlreadyExists when any object of that name exists. */
  create(kind: AdminKind, object: AdminTierObject): Promise<WriteResult>;
  /** PUT over `current`, preconditioned on its resourceVersion; netfence's metadata set, everyone else's kept. */
  replace(kind: AdminKind, object: AdminTierObject, current: AdminTierLive): Promise<WriteResult>;
  /** DELETE preconditioned on the uid seen. */
  remove(kind: AdminKind, current: AdminTierLive): Promise<WriteResult>;
  /** Removes netfence's labels, annotation and owner reference (deletionPolicy Orphan). */
  detach(kind: AdminKind, current: AdminTierLive, profileUid: string): Promise<WriteResult>;
  /** Reads one object from the API server; undefined when there is none. */
  read(kind: AdminKind, name: string): Promise<ReadResult<AdminTierLive | undefined>>;
}

export interface ProfileWriter {
  /** Writes status (server-side apply on /status, field manager netfence). */
  writeStatus(profile: IsolationProfile, status: IsolationProfileStatus): Promise<WriteResult>;
  /** Sets metadata.finalizers, preconditioned on the resourceVersion seen. */
  setFinalizers(profile: IsolationProfile, finalizers: string[]): Promise<WriteResult>;
}

export interface EventRecorder {
  /**
   * A Kubernetes Event on the profile (best effort, never fails the reconcile).
   * A repeated identical event is skipped for a while, unless it reports a
   * `transition` (a heal, a verdict that changed): each of those is news.
   */
  record(profile: IsolationProfile, type: "Normal" | "Warning", reason: string, message: string, options?: { transition?: boolean }): void;
}

export interface ReconcileMetrics {
  driftHealed(count: number): void;
  namespaceIsolated(namespace: string): void;
  /** The profile's namespaces by state after a pass (netfence_namespaces{profile,state}). */
  namespaceStates(profile: string, entries: Iterable<NamespaceStatus>): void;
}
